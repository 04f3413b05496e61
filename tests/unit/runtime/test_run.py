"""``streamparse_run``: argv handling, import roots, precise load errors; the word-count project."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from stormbridge.errors import ComponentLoadError
from stormbridge.runtime.run import load_component_class, main
from stormbridge.testing import StormPeer

from .conftest import COMPONENTS, REPO

pytestmark = pytest.mark.timeout(60)

STREAMPARSE_RUN = Path(sys.executable).with_name("streamparse_run")


def test_module_not_found_is_named(tmp_path):
    with pytest.raises(ComponentLoadError, match=r"module 'nowhere\.mod' not found"):
        load_component_class("nowhere.mod.Cls", cwd=str(tmp_path))


def test_import_error_inside_the_module_is_told_apart():
    with pytest.raises(ComponentLoadError, match="failed inside your code") as info:
        load_component_class("broken_import.Cls", cwd=str(COMPONENTS))
    assert isinstance(info.value.__cause__, ImportError)


def test_missing_class_and_bad_path():
    with pytest.raises(ComponentLoadError, match="has no class 'Nope'"):
        load_component_class("testcomps.Nope", cwd=str(COMPONENTS))
    with pytest.raises(ComponentLoadError, match=r"not a 'package\.module\.Class'"):
        load_component_class("justaname", cwd=str(COMPONENTS))


def test_usage_error_exits_2(capsys):
    with pytest.raises(SystemExit) as info:
        main(["-s", "yaml", "x.Y"])
    assert info.value.code == 2


def test_load_error_is_reported_to_storm_after_the_handshake():
    argv = [sys.executable, "-m", "stormbridge.runtime.run", "broken_import.Cls"]
    with StormPeer.spawn(argv, cwd=str(COMPONENTS)) as peer:
        peer.handshake()
        error = peer.read(skip_logs=True)
        assert error["command"] == "error" and "failed inside your code" in error["msg"]
        assert peer.wait() == 1
        assert "No module named 'a_module_that_does_not_exist'" in peer.stderr


def _project(tmp_path: Path, layout: str) -> Path:
    """The repo's word-count src/ copied unchanged, either at the root or under resources/."""
    root = tmp_path / "worker"
    target = root / "resources" if layout == "resources" else root
    shutil.copytree(REPO / "src", target, ignore=shutil.ignore_patterns("__pycache__"))
    return root


@pytest.mark.parametrize("layout", ["cwd", "resources"])
def test_wordcount_bolt_runs_unchanged_under_streamparse_run(tmp_path, layout):
    root = _project(tmp_path, layout)
    # Storm passes exactly [execution_command, script]; the script string is split.
    argv = [str(STREAMPARSE_RUN), "-s json bolts.wordcount.WordCountBolt"]
    with StormPeer.spawn(argv, cwd=str(root)) as peer:
        peer.handshake()
        counts = []
        for word in ["dog", "cat", "dog"] + ["cat"] * 997:
            tup_id = peer.send_tuple([word])
            emit = peer.read(skip_logs=True)
            assert emit["anchors"] == [tup_id]
            counts.append(emit["tuple"])
            assert peer.read(skip_logs=True) == {"command": "ack", "id": tup_id}
        assert counts[:3] == [["dog", 10], ["cat", 1], ["dog", 20]]
        assert counts[-1] == ["cat", 998]
        # total reached 1,000 words... at 1018 (dog counts 10): the bolt logs through StormHandler
        assert peer.close() == 2


def test_wordcount_bolt_logs_through_storm(tmp_path):
    root = _project(tmp_path, "cwd")
    argv = [str(STREAMPARSE_RUN), "bolts.wordcount.WordCountBolt"]
    with StormPeer.spawn(argv, cwd=str(root)) as peer:
        peer.handshake()
        for _ in range(1000):
            peer.send_tuple(["cat"])
        for _ in range(2000):
            peer.read(skip_logs=True)
        peer.close()
    assert any("counted [1,000] words" in log["msg"] for log in peer.logs)


def test_word_spout_runs_unchanged_under_streamparse_run(tmp_path):
    root = _project(tmp_path, "resources")
    argv = [str(STREAMPARSE_RUN), "spouts.words.WordSpout"]
    with StormPeer.spawn(argv, cwd=str(root)) as peer:
        peer.handshake()
        words = [peer.spout_command("next")[0]["tuple"][0] for _ in range(5)]
        assert words == ["dog", "cat", "zebra", "elephant", "dog"]
        assert peer.spout_command("activate") == []
        assert peer.close() == 2


def test_python_dash_m_streamparse_run_help():
    result = subprocess.run(
        [str(STREAMPARSE_RUN), "--help"], capture_output=True, text=True, timeout=30, check=False
    )
    assert result.returncode == 0 and "package.module.Class" in result.stdout
