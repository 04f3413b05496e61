"""Project discovery and topology loading: precise errors, and no leaks into sys.path/modules."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from stormbridge.dsl import Topology
from stormbridge.errors import ConfigError, TopologyError
from stormbridge.project.loader import find_project_root, load_project, load_topology, topology_file

SPOUT = """
from streamparse import Spout

class WordSpout(Spout):
    outputs = ["word"]
    marker = {marker!r}

    def next_tuple(self):
        self.emit(["x"])
"""

TOPOLOGY = """
from streamparse import Topology
from spouts.words import WordSpout

class {cls}(Topology):
    word_spout = WordSpout.spec()
"""


def make(root: Path, topologies: dict[str, str], marker: str = "a") -> Path:
    (root / "topologies").mkdir(parents=True)
    (root / "src" / "spouts").mkdir(parents=True)
    (root / "src" / "spouts" / "__init__.py").write_text("")
    (root / "src" / "spouts" / "words.py").write_text(SPOUT.format(marker=marker))
    for name, text in topologies.items():
        (root / "topologies" / f"{name}.py").write_text(text)
    (root / "config.json").write_text(
        json.dumps({"topology_specs": "topologies/", "envs": {"x": {}}})
    )
    return root


def test_find_root_walks_up(tmp_path: Path) -> None:
    root = make(tmp_path / "p", {"wc": TOPOLOGY.format(cls="WC")})
    deep = root / "src" / "spouts"
    assert find_project_root(deep) == root
    assert load_project(cwd=deep).root == root
    assert load_project(root).root == root  # --config may name the folder
    with pytest.raises(ConfigError, match=r"no config.json in .* or any folder above"):
        find_project_root(tmp_path)


def test_load_and_scope(tmp_path: Path) -> None:
    a = load_project(make(tmp_path / "a", {"wc": TOPOLOGY.format(cls="WC")}, marker="a"))
    b = load_project(make(tmp_path / "b", {"wc": TOPOLOGY.format(cls="WC")}, marker="b"))
    path_before = list(sys.path)
    modules_before = set(sys.modules)
    ta = load_topology(a)
    tb = load_topology(b, "wc.py")
    assert issubclass(ta, Topology) and ta.__name__ == "WC"
    # each project got its own spouts.words, and neither stays importable afterwards
    assert ta.specs[0].component_cls.marker == "a"
    assert tb.specs[0].component_cls.marker == "b"
    assert sys.path == path_before
    leaked = {m for m in set(sys.modules) - modules_before if m.startswith(("spouts", "_storm"))}
    assert leaked == set()


def test_auto_select_and_missing(tmp_path: Path) -> None:
    p = load_project(make(tmp_path / "p", {"one": "", "two": "", "_private": ""}))
    with pytest.raises(ConfigError, match=r"several topologies \(one, two\).*-n/--name"):
        topology_file(p)
    with pytest.raises(ConfigError, match=r"no topology 'three'.*available: one, two"):
        topology_file(p, "three")
    with pytest.raises(ConfigError, match=r"no topology '\.\./one'"):
        topology_file(p, "../one")
    assert topology_file(p, "one").name == "one.py"


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        ("class X(:\n", r"syntax error in .*bad.py line 1"),
        ("import not_a_module_xyz\n", r"cannot import 'not_a_module_xyz' \(at .*bad.py:1\)"),
        ("from spouts.words import Nope\n", r"bad.py raised ImportError: cannot import name"),
        ("x = 1\n\n1 / 0\n", r"raised ZeroDivisionError: division by zero \(at .*bad.py:3\)"),
        ("x = 1\n", r"defines no Topology subclass"),
        (
            TOPOLOGY.format(cls="A") + "\nclass B(Topology):\n    s = WordSpout.spec()\n",
            r"several topologies \(A, B\)",
        ),
    ],
)
def test_load_errors(tmp_path: Path, text: str, pattern: str) -> None:
    p = load_project(make(tmp_path / "p", {"bad": text}))
    path_before = list(sys.path)
    with pytest.raises(TopologyError, match=pattern):
        load_topology(p)
    assert sys.path == path_before


def test_error_in_imported_user_module_names_it(tmp_path: Path) -> None:
    root = make(tmp_path / "p", {"wc": TOPOLOGY.format(cls="WC")})
    (root / "src" / "spouts" / "words.py").write_text("import os\nraise RuntimeError('boom')\n")
    with pytest.raises(TopologyError, match=r"raised RuntimeError: boom \(at .*words.py:2\)"):
        load_topology(load_project(root))
    (root / "src" / "spouts" / "words.py").write_text("def broken(:\n")
    with pytest.raises(TopologyError, match=r"syntax error in .*words.py line 1 \(imported by"):
        load_topology(load_project(root))


def test_leaf_topology_is_chosen(tmp_path: Path) -> None:
    text = TOPOLOGY.format(cls="Base") + "\nclass Leaf(Base):\n    pass\n"
    p = load_project(make(tmp_path / "p", {"t": text}))
    assert load_topology(p).__name__ == "Leaf"


def test_repository_and_quickstart_topologies_load(tmp_path: Path) -> None:
    from stormbridge.cli.main import main
    from stormbridge.dsl.compile import compile_topology

    repo = load_project(Path(__file__).resolve().parents[3])
    t = load_topology(repo, "wordcount")
    assert sorted(s.name for s in t.specs) == ["count_bolt", "word_spout"]
    assert main(["quickstart", "qs", "--directory", str(tmp_path)]) == 0
    qs = load_project(tmp_path / "qs")
    compiled = compile_topology(load_topology(qs), env_name="local")
    assert sorted(compiled.bolts) == ["count_bolt"] and sorted(compiled.spouts) == ["word_spout"]
