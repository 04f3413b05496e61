"""`sparse submit` and `sparse jar` with stormbridge's multilang serializer, in process, against
FakeNimbus: the jar carries the classes and the conf names them unless the user chose a
serializer; without a JDK or Storm home the jar falls back to Storm's classes and says so once,
and so does `sparse run`."""

from __future__ import annotations

import json
import shutil
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from stormbridge.cli.main import main
from stormbridge.storm.multilang import (
    BATCH_BOLT_CLASS,
    BATCH_SPOUT_CLASS,
    SERIALIZER_CLASS,
    STOCK_SERIALIZER,
    find_serializer_jar,
)
from stormbridge.testing.nimbus import FakeNimbus

REPO = Path(__file__).resolve().parents[3]
KEY = "topology.multilang.serializer"
ENTRY = "stormbridge/multilang/FastJsonSerializer.class"
NOTE = (
    "sparse: note: using Storm's stock multilang classes (JsonSerializer, ShellBolt/ShellSpout), "
    "not stormbridge's serializer and batched shell classes: "
)


@pytest.fixture
def nimbus() -> Iterator[FakeNimbus]:
    with FakeNimbus() as fake:
        yield fake


def make_wordcount(root: Path, nimbus: str) -> Path:
    """A copy of the repository's word-count project whose only env points at ``nimbus``."""
    shutil.copytree(REPO / "src", root / "src", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(REPO / "topologies", root / "topologies")
    config = {
        "serializer": "json",
        "topology_specs": "topologies/",
        "envs": {"local": {"nimbus": nimbus, "options": {"topology.workers": 1}}},
    }
    (root / "config.json").write_text(json.dumps(config))
    return root / "config.json"


@pytest.fixture
def config(tmp_path: Path, nimbus: FakeNimbus) -> Path:
    host, port = nimbus.address
    return make_wordcount(tmp_path / "wc", f"{host}:{port}")


@pytest.fixture
def with_jdk() -> None:
    found = find_serializer_jar()
    if found.path is None:
        pytest.skip(f"needs javac and a provisioned Storm: {found.reason}")


def entries(config: Path) -> list[str]:
    with zipfile.ZipFile(config.parent / "_build" / "wordcount.jar") as zf:
        return zf.namelist()


def test_submit_names_our_serializer_and_ships_it(
    with_jdk: None, config: Path, nimbus: FakeNimbus, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["submit", "--config", str(config)]) == 0
    assert nimbus.topologies["wordcount"].conf[KEY] == SERIALIZER_CLASS
    out, err = capsys.readouterr()
    assert f"  {KEY}: {SERIALIZER_CLASS}" in out
    assert "note:" not in err
    names = entries(config)
    assert ENTRY in names
    assert "stormbridge/multilang/JsonFrameReader.class" in names


def test_a_chosen_serializer_is_kept(with_jdk: None, config: Path, nimbus: FakeNimbus) -> None:
    assert main(["submit", "--config", str(config), "-o", f"{KEY}={STOCK_SERIALIZER}"]) == 0
    assert nimbus.topologies["wordcount"].conf[KEY] == STOCK_SERIALIZER


def test_a_prebuilt_jar_without_the_classes_gets_storms_serializer(
    config: Path, nimbus: FakeNimbus, tmp_path: Path
) -> None:
    jar = tmp_path / "prebuilt.jar"
    with zipfile.ZipFile(jar, "w") as zf:
        zf.writestr("resources/x.txt", "x")
    assert main(["submit", "--config", str(config), "-j", str(jar)]) == 0
    assert KEY not in nimbus.topologies["wordcount"].conf


def test_without_a_storm_home_the_jar_falls_back_and_says_so_once(
    config: Path,
    nimbus: FakeNimbus,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("STORMBRIDGE_CACHE", str(tmp_path / "empty-cache"))
    monkeypatch.delenv("STORM_HOME", raising=False)
    assert main(["submit", "--config", str(config)]) == 0
    assert KEY not in nimbus.topologies["wordcount"].conf
    err = capsys.readouterr().err
    assert err.count("sparse: note:") == 1 and err.count(NOTE) == 1
    assert f"{NOTE}no Storm home to compile against" in err
    assert "emit(direct_task=...) is refused" in err and "install a Java 17 JDK" in err
    assert ENTRY not in entries(config)


@pytest.fixture
def without_javac(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from stormbridge.storm.home import resolve_home

    try:
        home = resolve_home()
    except Exception as exc:  # noqa: BLE001 - any reason there is no Storm here
        pytest.skip(f"needs a provisioned Storm: {exc}")
    # A fresh cache holding only a link to the Storm home: the serializer must be compiled,
    # and there is no javac on PATH nor next to a JAVA_HOME.
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / home.path.name).symlink_to(home.path)
    monkeypatch.setenv("STORMBRIDGE_CACHE", str(cache))
    monkeypatch.delenv("STORM_HOME", raising=False)
    monkeypatch.setenv("JAVA_HOME", str(tmp_path / "no-jdk"))
    monkeypatch.setenv("PATH", str(tmp_path / "no-bin"))


def test_without_javac_the_jar_falls_back(
    config: Path, without_javac: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["jar", "--config", str(config)]) == 0
    err = capsys.readouterr().err
    assert err.count("sparse: note:") == 1 and err.count(NOTE) == 1
    assert f"{NOTE}javac (a Java 17 JDK, not only a JRE) is needed" in err
    assert ENTRY not in entries(config)


def test_sparse_run_without_javac_says_once_that_it_falls_back(
    config: Path,
    without_javac: None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # the run's folder, kept on errors
    # local mode needs Java for its runner too: the run ends before any JVM starts, after
    # the one note
    assert main(["run", "--config", str(config), "-t", "1"]) == 1
    err = capsys.readouterr().err
    assert err.count("sparse: note:") == 1 and err.count(NOTE) == 1, err
    assert f"{NOTE}javac (a Java 17 JDK, not only a JRE) is needed" in err
    assert err.index(NOTE) < err.index("sparse: error:"), err
    assert "install a Java 17 JDK" not in err.split("\n", 1)[0], "the JDK hint is said once"


def _objects(topology: object) -> dict[str, object]:
    spouts = {k: v.spout_object for k, v in (topology.spouts or {}).items()}  # type: ignore[attr-defined]
    bolts = {k: v.bolt_object for k, v in (topology.bolts or {}).items()}  # type: ignore[attr-defined]
    return {**spouts, **bolts}


def test_submit_runs_python_components_on_the_batched_classes(
    with_jdk: None, config: Path, nimbus: FakeNimbus
) -> None:
    assert main(["submit", "--config", str(config)]) == 0
    objects = _objects(nimbus.topologies["wordcount"].topology)
    assert set(objects) == {"word_spout", "count_bolt"}
    spout, bolt = objects["word_spout"], objects["count_bolt"]
    assert spout.shell is None and bolt.shell is None  # type: ignore[attr-defined]
    assert spout.java_object.full_class_name == BATCH_SPOUT_CLASS  # type: ignore[attr-defined]
    assert bolt.java_object.full_class_name == BATCH_BOLT_CLASS  # type: ignore[attr-defined]
    command, script = (a.string_arg for a in bolt.java_object.args_list)  # type: ignore[attr-defined]
    assert command == "python3"
    assert script == "_stormbridge/boot/bolts.wordcount.WordCountBolt.py"
    names = entries(config)
    assert "stormbridge/multilang/BatchShellBolt.class" in names
    assert "stormbridge/multilang/BatchShellSpout.class" in names


def test_transport_stock_keeps_storms_shell_components(
    with_jdk: None, config: Path, nimbus: FakeNimbus
) -> None:
    assert main(["submit", "--config", str(config), "-o", "stormbridge.transport=stock"]) == 0
    for obj in _objects(nimbus.topologies["wordcount"].topology).values():
        assert obj.java_object is None  # type: ignore[attr-defined]
        assert obj.shell.script.startswith("_stormbridge/boot/")  # type: ignore[attr-defined]


def test_a_jar_without_the_batched_classes_keeps_shell_components(
    config: Path, nimbus: FakeNimbus, tmp_path: Path
) -> None:
    jar = tmp_path / "prebuilt.jar"
    with zipfile.ZipFile(jar, "w") as zf:
        zf.writestr(ENTRY, b"")  # the serializer alone (an older stormbridge's jar)
    assert main(["submit", "--config", str(config), "-j", str(jar)]) == 0
    for obj in _objects(nimbus.topologies["wordcount"].topology).values():
        assert obj.java_object is None and obj.shell is not None  # type: ignore[attr-defined]


def test_an_unknown_transport_is_refused(with_jdk: None, config: Path) -> None:
    assert main(["submit", "--config", str(config), "-o", "stormbridge.transport=fast"]) != 0
