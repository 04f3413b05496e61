"""The DSL stays Thrift-free until compiled; the streamparse compatibility surface exists."""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pytest

COMPONENTS = """
from stormbridge import Bolt, Spout


class Words(Spout):
    outputs = ["word"]


class Counter(Bolt):
    outputs = ["word", "count"]
"""

SCRIPT = """
import sys

from stormbridge.dsl import Grouping, Stream, Topology
from components import Counter, Words


class WordCount(Topology):
    words = Words.spec(par={"prod": 2, "dev": 1})
    counter = Counter.spec(inputs={words: Grouping.fields("word")}, par=2)


assert [spec.name for spec in WordCount.specs] == ["words", "counter"]
WordCount.to_flux_dict("wc", env_name="dev")
repr(WordCount)
print("before", "thriftpy2" in sys.modules)
WordCount.thrift_topology
print("after", "thriftpy2" in sys.modules)
"""


def test_defining_a_topology_does_not_import_thriftpy2(tmp_path: Path) -> None:
    (tmp_path / "components.py").write_text(COMPONENTS)
    (tmp_path / "script.py").write_text(SCRIPT)
    done = subprocess.run(
        [sys.executable, "script.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["before", "False", "after", "True"]


@pytest.mark.parametrize(
    ("module", "names"),
    [
        ("streamparse.dsl", ["Grouping", "Stream", "Topology"]),
        ("streamparse.dsl.topology", ["Topology", "TopologyType"]),
        ("streamparse.dsl.stream", ["Grouping", "Stream", "_Grouping"]),
        ("streamparse.dsl.component", ["ComponentSpec", "JavaComponentSpec", "ShellComponentSpec"]),
        ("streamparse.dsl.bolt", ["JavaBoltSpec", "ShellBoltSpec"]),
        ("streamparse.dsl.spout", ["JavaSpoutSpec", "ShellSpoutSpec"]),
        ("streamparse.dsl.util", ["to_java_arg", "to_python_arg", "to_python_arg_list"]),
        (
            "streamparse.thrift",
            ["GlobalStreamId", "JavaObjectArg", "JavaObject", "Grouping", "StormTopology"],
        ),
        (
            "stormbridge.dsl",
            [
                "Topology",
                "Grouping",
                "Stream",
                "ShellBolt",
                "ShellSpout",
                "JavaBolt",
                "JavaSpout",
                "ComponentSpec",
            ],
        ),
    ],
)
def test_compatibility_names(module: str, names: list[str]) -> None:
    imported = __import__(module, fromlist=names)
    for name in names:
        assert getattr(imported, name) is not None, f"{module}.{name}"


def test_streamparse_thrift_types_and_util() -> None:
    import streamparse.thrift as st
    from stormbridge.thrift import storm_thrift
    from streamparse.dsl.util import to_java_arg, to_python_arg, to_python_arg_list

    assert st.storm_thrift is storm_thrift()
    assert st.GlobalStreamId is storm_thrift().GlobalStreamId
    assert "JavaObjectArg" in dir(st)
    assert to_java_arg(3) == st.JavaObjectArg(long_arg=3)
    assert to_java_arg(True) == st.JavaObjectArg(bool_arg=True)
    assert to_python_arg(st.JavaObjectArg(string_arg="x")) == "x"
    assert to_python_arg_list([st.JavaObjectArg(double_arg=1.5)]) == [1.5]
    with pytest.raises(TypeError):
        to_java_arg({"a": 1})
    with pytest.raises(AttributeError, match="declares only"):
        st.DRPCRequest  # noqa: B018


def test_dsl_all_is_honest() -> None:
    import stormbridge.dsl as dsl

    assert sorted(dsl.__all__) == sorted(
        name for name in vars(dsl) if not name.startswith("_") and name not in _SUBMODULES
    )


_SUBMODULES = {
    "annotations",
    "boot",
    "checks",
    "compile",
    "component",
    "flux",
    "java",
    "kafka",
    "resolve",
    "specs",
    "stream",
    "topology",
}


def test_dsl_modules_do_not_import_network_code() -> None:
    code = textwrap.dedent(
        """
        import sys
        import stormbridge.dsl
        names = ("http.client", "thriftpy2", "stormbridge.cli", "stormbridge.thrift.nimbus")
        bad = [m for m in names if m in sys.modules]
        print(bad)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def _dsl_imports() -> dict[str, set[str]]:
    """``{module: dsl modules it imports}``, counting lazy and TYPE_CHECKING imports."""
    import stormbridge.dsl as dsl

    package = Path(dsl.__file__).parent
    modules = {path.stem for path in package.glob("*.py")}
    graph: dict[str, set[str]] = {}
    for path in package.glob("*.py"):
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                name = node.module or ""
                if node.level == 1:
                    found |= {name.split(".")[0]} if name else {a.name for a in node.names}
                elif node.level == 2 and name.startswith("dsl."):
                    found.add(name.split(".")[1])
                elif node.level == 0 and name.startswith("stormbridge.dsl."):
                    found.add(name.split(".")[2])
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
                found |= {n.split(".")[2] for n in names if n.startswith("stormbridge.dsl.")}
        graph[path.stem] = (found & modules) - {path.stem}
    return graph


def test_dsl_modules_import_one_way() -> None:
    graph = _dsl_imports()
    assert graph["topology"] >= {"compile", "flux"}
    try:
        list(TopologicalSorter(graph).static_order())
    except CycleError as exc:  # pragma: no cover - the failure message
        pytest.fail(f"stormbridge.dsl modules import each other in a circle: {exc.args[1]}")
