"""The topology jar: contents, determinism, exclusions, merging extra jars, what Java sees."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from stormbridge.build.jar import FIXED_DATE_TIME, build_jar, jar_entry_filter
from stormbridge.build.resources import RUNTIME_PACKAGES, collect_resources, write_resources_dir
from stormbridge.dsl.boot import boot_script_path, render_boot_script
from stormbridge.errors import JarError, TopologyError

ROOT = Path(__file__).resolve().parents[3]
WORDCOUNT_CLASSES = ["bolts.wordcount.WordCountBolt", "spouts.words.WordSpout"]


def _runtime_installed() -> bool:
    return all((ROOT / package / "__init__.py").is_file() for package in RUNTIME_PACKAGES)


needs_runtime = pytest.mark.skipif(
    not _runtime_installed(),
    reason="the streamparse/pystorm compatibility packages are not written yet",
)


def _names(jar: Path) -> list[str]:
    with zipfile.ZipFile(jar) as zf:
        return zf.namelist()


def _make_project(tmp_path: Path) -> Path:
    project = tmp_path / "proj"
    shutil.copytree(ROOT / "src", project / "src", ignore=shutil.ignore_patterns("__pycache__"))
    return project


@needs_runtime
def test_wordcount_jar_holds_src_boot_scripts_and_runtime(tmp_path: Path) -> None:
    info = build_jar(ROOT, tmp_path / "wc.jar", class_paths=WORDCOUNT_CLASSES)
    names = _names(info.path)
    assert names[:2] == ["META-INF/", "META-INF/MANIFEST.MF"]
    assert names[2:] == sorted(names[2:])
    for rel in ("bolts/wordcount.py", "bolts/__init__.py", "spouts/words.py"):
        assert f"resources/{rel}" in names
    with zipfile.ZipFile(info.path) as zf:
        for cls in WORDCOUNT_CLASSES:
            assert zf.read(f"resources/{boot_script_path(cls)}") == render_boot_script(cls)
        assert (
            zf.read("resources/bolts/wordcount.py")
            == (ROOT / "src/bolts/wordcount.py").read_bytes()
        )
    for package in RUNTIME_PACKAGES:
        assert f"resources/{package}/__init__.py" in names
    shipped = sorted(
        n.removeprefix("resources/stormbridge/")
        for n in names
        if n.startswith("resources/stormbridge/") and n.endswith(".py")
    )
    # The worker runtime alone: no DSL, Thrift, build, project, Storm, UI, CLI or testing code.
    assert shipped == sorted(
        ["__init__.py", "errors.py"]
        + [
            str(p.relative_to(ROOT / "stormbridge"))
            for p in (ROOT / "stormbridge" / "runtime").rglob("*.py")
        ]
    )
    assert not [n for n in names if n.startswith(("resources/streamparse/dsl/",))]
    assert "resources/streamparse/util.py" not in names
    assert "resources/streamparse/thrift.py" not in names
    assert not [n for n in names if "__pycache__" in n or n.endswith((".pyc", ".pyo"))]
    assert not [n for n in names if not n.startswith(("META-INF/", "resources/"))]
    assert info.entries == len(names)
    assert info.size == info.path.stat().st_size
    assert info.sha256 == hashlib.sha256(info.path.read_bytes()).hexdigest()
    assert "entries" in info.describe() and str(info.path) in info.describe()


def test_jar_without_runtime_has_only_user_code_and_boot_scripts(tmp_path: Path) -> None:
    info = build_jar(
        ROOT, tmp_path / "wc.jar", class_paths=WORDCOUNT_CLASSES, include_runtime=False
    )
    files = [n for n in _names(info.path) if not n.endswith("/")]
    assert files == [
        "META-INF/MANIFEST.MF",
        "resources/_stormbridge/boot/bolts.wordcount.WordCountBolt.py",
        "resources/_stormbridge/boot/spouts.words.WordSpout.py",
        "resources/bolts/__init__.py",
        "resources/bolts/wordcount.py",
        "resources/spouts/__init__.py",
        "resources/spouts/words.py",
    ]
    assert info.resource_files == 6


def test_serializer_and_virtualenv_reach_the_boot_scripts(tmp_path: Path) -> None:
    info = build_jar(
        ROOT,
        tmp_path / "wc.jar",
        class_paths=WORDCOUNT_CLASSES,
        serializer="msgpack",
        virtualenv_python="/data/virtualenvs/wc/bin/python",
        include_runtime=False,
    )
    with zipfile.ZipFile(info.path) as zf:
        script = zf.read(f"resources/{boot_script_path(WORDCOUNT_CLASSES[0])}")
    assert script == render_boot_script(
        WORDCOUNT_CLASSES[0],
        serializer="msgpack",
        virtualenv_python="/data/virtualenvs/wc/bin/python",
    )


def test_two_builds_give_identical_bytes_whatever_the_mtimes_and_modes(tmp_path: Path) -> None:
    project = _make_project(tmp_path)
    runtime = _runtime_installed()
    first = build_jar(
        project, tmp_path / "a.jar", class_paths=WORDCOUNT_CLASSES, include_runtime=runtime
    )
    for path in (project / "src").rglob("*"):
        os.utime(path, (1_700_000_000, 1_700_000_000))
        path.chmod(0o700 if path.is_dir() else 0o600)
    second = build_jar(
        project,
        tmp_path / "b.jar",
        class_paths=list(reversed(WORDCOUNT_CLASSES)),
        include_runtime=runtime,
    )
    assert first.sha256 == second.sha256
    assert (tmp_path / "a.jar").read_bytes() == (tmp_path / "b.jar").read_bytes()
    with zipfile.ZipFile(first.path) as zf:
        for info in zf.infolist():
            assert info.date_time == FIXED_DATE_TIME
            mode = info.external_attr >> 16
            assert mode == (0o40755 if info.is_dir() else 0o100644), info.filename


def test_changed_source_changes_the_digest(tmp_path: Path) -> None:
    project = _make_project(tmp_path)
    first = build_jar(
        project, tmp_path / "a.jar", class_paths=WORDCOUNT_CLASSES, include_runtime=False
    )
    (project / "src/spouts/words.py").write_text("# changed\n")
    second = build_jar(
        project, tmp_path / "a.jar", class_paths=WORDCOUNT_CLASSES, include_runtime=False
    )
    assert first.sha256 != second.sha256


def test_caches_vcs_virtualenvs_and_secrets_are_left_out(tmp_path: Path) -> None:
    project = _make_project(tmp_path)
    src = project / "src"
    files = {
        "bolts/__pycache__/wordcount.cpython-311.pyc": b"x",
        "bolts/stale.pyc": b"x",
        ".git/config": b"[core]",
        ".venv/pyvenv.cfg": b"home = /usr",
        "myenv/pyvenv.cfg": b"home = /usr",
        "myenv/lib/site.py": b"x",
        ".mypy_cache/x.json": b"{}",
        "pkg.egg-info/PKG-INFO": b"x",
        ".env": b"PASSWORD=1",
        ".env.production": b"PASSWORD=1",
        "conf/id_rsa": b"key",
        "conf/id_ed25519.pub": b"key",
        "conf/server.pem": b"key",
        "conf/tls.KEY": b"key",
        "conf/.netrc": b"machine x",
        "conf/credentials.json": b"{}",
        "conf/secrets.yaml": b"a: 1",
        "conf/settings.json": b"{}",
        "lib/helpers.py": b"X = 1\n",
        "lib/data/words.txt": b"dog\n",
    }
    for rel, data in files.items():
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        (src / rel).write_bytes(data)
    info = build_jar(project, tmp_path / "a.jar", class_paths=[], include_runtime=False)
    names = [n.removeprefix("resources/") for n in _names(info.path) if not n.endswith("/")]
    assert names == [
        "META-INF/MANIFEST.MF",
        "bolts/__init__.py",
        "bolts/wordcount.py",
        "conf/settings.json",
        "lib/data/words.txt",
        "lib/helpers.py",
        "spouts/__init__.py",
        "spouts/words.py",
    ]
    assert info.excluded_secrets == (
        "src/.env",
        "src/.env.production",
        "src/conf/.netrc",
        "src/conf/credentials.json",
        "src/conf/id_ed25519.pub",
        "src/conf/id_rsa",
        "src/conf/secrets.yaml",
        "src/conf/server.pem",
        "src/conf/tls.KEY",
    )


def test_symlinked_directories_are_followed_without_looping(tmp_path: Path) -> None:
    project = _make_project(tmp_path)
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "util.py").write_text("Y = 2\n")
    (project / "src/shared").symlink_to(shared, target_is_directory=True)
    (shared / "loop").symlink_to(shared, target_is_directory=True)
    tree = collect_resources(project, class_paths=[], include_runtime=False)
    assert "shared/util.py" in tree.paths()
    assert not [p for p in tree.paths() if p.startswith("shared/loop/")]


def test_errors_say_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(JarError, match=r"src is not a directory"):
        build_jar(tmp_path, tmp_path / "a.jar", class_paths=[])
    project = _make_project(tmp_path)
    with pytest.raises(TopologyError, match="not a dotted"):
        build_jar(project, tmp_path / "a.jar", class_paths=["__main__"])
    (project / "src/streamparse").mkdir()
    (project / "src/streamparse/__init__.py").write_text("")
    with pytest.raises(JarError, match="shadow the stormbridge runtime"):
        build_jar(project, tmp_path / "a.jar", class_paths=[])
    (project / "src/_stormbridge/boot").mkdir(parents=True)
    (project / "src/_stormbridge/boot/spouts.words.WordSpout.py").write_text("")
    with pytest.raises(JarError, match="from both"):
        build_jar(
            project,
            tmp_path / "a.jar",
            class_paths=["spouts.words.WordSpout"],
            include_runtime=False,
        )
    assert not list(tmp_path.glob("*.jar")) and not list(tmp_path.glob(".a.jar*"))


def test_write_resources_dir_matches_the_jar_and_replaces_stale_files(tmp_path: Path) -> None:
    project = _make_project(tmp_path)
    dest = tmp_path / "classpath"
    (dest / "resources/old").mkdir(parents=True)
    (dest / "resources/old/stale.py").write_text("")
    (dest / "keep.txt").write_text("mine")
    tree = write_resources_dir(dest, project, class_paths=WORDCOUNT_CLASSES, include_runtime=False)
    on_disk = sorted(
        p.relative_to(dest / "resources").as_posix()
        for p in (dest / "resources").rglob("*")
        if p.is_file()
    )
    assert on_disk == tree.paths()
    assert (dest / "keep.txt").read_text() == "mine"
    info = build_jar(
        project, tmp_path / "a.jar", class_paths=WORDCOUNT_CLASSES, include_runtime=False
    )
    with zipfile.ZipFile(info.path) as zf:
        for rel in on_disk:
            assert zf.read(f"resources/{rel}") == (dest / "resources" / rel).read_bytes()


def _write_jar(path: Path, entries: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return path


def test_extra_jars_are_merged_with_storm_signatures_and_configs_left_out(tmp_path: Path) -> None:
    project = _make_project(tmp_path)
    kafka = _write_jar(
        tmp_path / "storm-kafka-client-2.8.4.jar",
        {
            "META-INF/MANIFEST.MF": b"Manifest-Version: 1.0\r\n",
            "META-INF/KAFKA.SF": b"sig",
            "META-INF/KAFKA.RSA": b"sig",
            "META-INF/services/com.example.Codec": b"com.example.A\n",
            "org/apache/storm/kafka/spout/KafkaSpout.class": b"\xca\xfe\xba\xbe kafka",
            "org/apache/storm/flux/Wrapper.class": b"\xca\xfe\xba\xbe flux",
            "defaults.yaml": b"storm.zookeeper.port: 1",
            "log4j2.xml": b"<x/>",
            "resources/storm.py": b"# not ours",
            "module-info.class": b"x",
            "../evil": b"x",
            "com/example/Shared.class": b"first",
            "com/example/kafka.yaml": b"nested yaml is fine",
        },
    )
    other = _write_jar(
        tmp_path / "other.jar",
        {
            "META-INF/services/com.example.Codec": b"com.example.B\ncom.example.A\n",
            "com/example/Shared.class": b"second",
            "com/example/Other.class": b"other",
        },
    )
    storm = _write_jar(
        tmp_path / "storm-client-2.8.4.jar", {"org/apache/storm/Config.class": b"core"}
    )
    info = build_jar(
        project,
        tmp_path / "a.jar",
        class_paths=WORDCOUNT_CLASSES,
        include_runtime=False,
        extra_jars=[kafka, other, storm],
    )
    with zipfile.ZipFile(info.path) as zf:
        names = zf.namelist()
        merged = [
            n
            for n in names
            if not n.startswith(("resources/", "META-INF/")) and not n.endswith("/")
        ]
        assert merged == [
            "com/example/Other.class",
            "com/example/Shared.class",
            "com/example/kafka.yaml",
            "org/apache/storm/flux/Wrapper.class",
            "org/apache/storm/kafka/spout/KafkaSpout.class",
        ]
        assert zf.read("com/example/Shared.class") == b"first"
        assert zf.read("META-INF/services/com.example.Codec") == b"com.example.A\ncom.example.B\n"
        assert zf.read("META-INF/MANIFEST.MF").startswith(
            b"Manifest-Version: 1.0\r\nCreated-By: stormbridge"
        )
        assert "resources/storm.py" not in names
        assert "org/apache/storm/kafka/spout/" in names  # directory entries are regenerated
        for info_ in zf.infolist():
            assert info_.date_time == FIXED_DATE_TIME
    assert info.merged_files == 6
    with pytest.raises(JarError, match="cannot read the extra jar"):
        build_jar(
            project,
            tmp_path / "b.jar",
            class_paths=[],
            include_runtime=False,
            extra_jars=[tmp_path / "missing.jar"],
        )


@pytest.mark.parametrize(
    ("name", "kept"),
    [
        ("com/x/A.class", True),
        ("META-INF/services/x.Y", True),
        ("META-INF/LICENSE", True),
        ("META-INF/MANIFEST.MF", False),
        ("META-INF/FOO.SF", False),
        ("META-INF/FOO.DSA", False),
        ("META-INF/SIG-FOO", False),
        ("storm.yaml", False),
        ("defaults.yml", False),
        ("a/b.yaml", True),
        ("a/log4j.properties", False),
        ("logback.xml", False),
        ("resources/x.py", False),
        ("com/x/", False),
        ("/abs", False),
        ("a/../../x", False),
    ],
)
def test_jar_entry_filter(name: str, kept: bool) -> None:
    assert jar_entry_filter(name) is kept


@pytest.mark.skipif(shutil.which("jar") is None, reason="no JDK `jar` tool on PATH")
def test_the_jdk_reads_the_jar(tmp_path: Path) -> None:
    info = build_jar(
        ROOT, tmp_path / "wc.jar", class_paths=WORDCOUNT_CLASSES, include_runtime=False
    )
    listed = subprocess.run(
        ["jar", "tf", str(info.path)], capture_output=True, text=True, timeout=120, check=True
    ).stdout.split()
    assert listed == _names(info.path)


def test_a_failed_build_leaves_the_previous_jar_untouched(tmp_path: Path) -> None:
    project = _make_project(tmp_path)
    out = tmp_path / "out" / "topo.jar"
    good = build_jar(project, out, class_paths=WORDCOUNT_CLASSES, include_runtime=False)
    before = out.read_bytes()
    broken = _write_jar(tmp_path / "broken.jar", {"com/x/A.class": b"A" * 1000})
    raw = bytearray(broken.read_bytes())
    offset = raw.index(b"A" * 100)  # stored data: corrupt it so the CRC check fails on read
    raw[offset : offset + 10] = b"B" * 10
    broken.write_bytes(bytes(raw))
    with pytest.raises(JarError, match=r"cannot read com/x/A.class from .*broken.jar"):
        build_jar(
            project,
            out,
            class_paths=WORDCOUNT_CLASSES,
            include_runtime=False,
            extra_jars=[broken],
        )
    assert out.read_bytes() == before
    assert sorted(p.name for p in out.parent.iterdir()) == ["topo.jar"]
    assert good.sha256 == hashlib.sha256(before).hexdigest()


@needs_runtime
def test_components_importing_the_dsl_get_the_whole_packages(tmp_path: Path) -> None:
    """A bolt module that imports a DSL name would fail on a worker with the runtime alone:
    the jar then ships the packages whole and says which import made it do so."""
    project = _make_project(tmp_path)
    bolt = project / "src" / "bolts" / "wordcount.py"
    bolt.write_text(
        "from streamparse import Bolt, Grouping\nimport streamparse.util\n"
        "from streamparse.bolt import ShellBolt\n" + bolt.read_text()
    )
    info = build_jar(project, tmp_path / "wc.jar", class_paths=WORDCOUNT_CLASSES)
    names = _names(info.path)
    assert "resources/stormbridge/dsl/__init__.py" in names
    assert "resources/streamparse/util.py" in names
    assert info.whole_packages_because == (
        "src/bolts/wordcount.py:1 imports streamparse.Grouping",
        "src/bolts/wordcount.py:2 imports streamparse.util",
        "src/bolts/wordcount.py:3 imports streamparse.bolt.ShellBolt",
    )
    plain = build_jar(ROOT, tmp_path / "plain.jar", class_paths=WORDCOUNT_CLASSES)
    assert plain.whole_packages_because == ()
    assert "resources/stormbridge/dsl/__init__.py" not in _names(plain.path)
