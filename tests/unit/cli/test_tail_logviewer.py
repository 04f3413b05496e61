"""`sparse tail` without SSH: our real UI server over the in-process FakeNimbus (whose one
worker is 127.0.0.1:6700) and a real logviewer over a temp Storm log folder
(workers-artifacts/<topology id>/6700/worker.log). The last N lines prefixed host:port,
--pattern, the UI's log links or --logviewer_port, and -f picking up an appended line until
Ctrl-C (exit 130)."""

from __future__ import annotations

import _thread
import contextlib
import io
import signal
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from stormbridge.cli import tail
from stormbridge.cli.main import main
from stormbridge.testing.nimbus import FakeNimbus
from stormbridge.ui.backend import NimbusBackend
from stormbridge.ui.logviewer import make_logviewer
from stormbridge.ui.server import make_server

from .test_nimbus_commands import make_wordcount


@dataclass
class Cluster:
    config: Path
    log: Path  # the worker's worker.log
    logviewer_port: int


def _serve(server: object) -> threading.Thread:
    thread = threading.Thread(
        target=server.serve_forever,  # type: ignore[attr-defined]
        kwargs={"poll_interval": 0.05},
        daemon=True,
    )
    thread.start()
    return thread


@contextlib.contextmanager
def _cluster(tmp_path: Path, with_links: bool, **env: object) -> Iterator[Cluster]:
    logs = tmp_path / "logs"
    (logs / "workers-artifacts").mkdir(parents=True)
    lv = make_logviewer(logs, "127.0.0.1", 0)
    lv_port = lv.server_address[1]
    threads = [_serve(lv)]
    with FakeNimbus() as nimbus:
        host, port = nimbus.address
        ui = make_server(
            NimbusBackend([(host, port)], timeout=10.0),
            "127.0.0.1",
            0,
            logviewer_port=lv_port if with_links else None,
        )
        threads.append(_serve(ui))
        try:
            config = make_wordcount(
                tmp_path / "wc", f"{host}:{port}", **{"ui.port": ui.server_address[1]}, **env
            )
            assert main(["submit", "--config", str(config), "--wait", "0"]) == 0
            topo_id = nimbus.topologies["wordcount"].id
            worker = logs / "workers-artifacts" / topo_id / "6700"
            worker.mkdir(parents=True)
            # another topology's log, never shown
            other = logs / "workers-artifacts" / "other-9-1" / "6700"
            other.mkdir(parents=True)
            (other / "worker.log").write_text("not this one\n")
            log = worker / "worker.log"
            log.write_text(
                "".join(f"line {i:05d} of the worker log .............\n" for i in range(3000))
            )
            yield Cluster(config, log, lv_port)
        finally:
            for server in (ui, lv):
                server.shutdown()
                server.server_close()
            for thread in threads:
                thread.join(timeout=10)


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    """The UI knows the logviewer's port (log links); the env has no workers/user/ssh_key."""
    with _cluster(tmp_path, with_links=True) as c:
        yield c


def test_last_lines_prefixed_with_host_and_port(
    cluster: Cluster, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert main(["tail", "--config", str(cluster.config), "-l", "3"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"127.0.0.1:6700 | line {i:05d} of the worker log ............." for i in (2997, 2998, 2999)
    ]


def test_streamparse_tail_topology_runs_sparse_tail(
    cluster: Cluster, capsys: pytest.CaptureFixture[str]
) -> None:
    from streamparse.cli import sparse as streamparse_sparse
    from streamparse.cli.tail import tail_topology

    capsys.readouterr()
    tail_topology(config_file=str(cluster.config), num_lines=2, pattern="worker")
    assert capsys.readouterr().out.splitlines() == [
        f"127.0.0.1:6700 | line {i:05d} of the worker log ............." for i in (2998, 2999)
    ]
    assert streamparse_sparse.main(["tail", "--config", str(cluster.config), "-l", "1"]) == 0
    assert capsys.readouterr().out.startswith("127.0.0.1:6700 | line 02999")


def test_many_lines_span_several_logviewer_pages(
    cluster: Cluster, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()  # 2500 lines of 45 bytes: more than one 64 KiB page
    assert main(["tail", "--config", str(cluster.config), "--num_lines", "2500"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2500
    assert lines[0] == "127.0.0.1:6700 | line 00500 of the worker log ............."
    assert lines[-1] == "127.0.0.1:6700 | line 02999 of the worker log ............."


def test_pattern_filters_the_log_paths(
    cluster: Cluster, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    argv = ["tail", "--config", str(cluster.config), "-l", "1"]
    assert main([*argv, "--pattern", r"/6700/worker\.log$"]) == 0
    assert capsys.readouterr().out.startswith("127.0.0.1:6700 | line 02999")
    assert main([*argv, "--pattern", "/6701/"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "matching --pattern '/6701/'" in captured.err
    assert main([*argv, "--pattern", "("]) == 1
    assert "not a regular expression" in capsys.readouterr().err


def test_without_log_links_uses_logviewer_port(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An env with SSH settings and --via-logviewer; the UI gives no links: --logviewer_port."""
    with _cluster(tmp_path, with_links=False, user="storm", workers=["w1"]) as c:
        capsys.readouterr()
        argv = ["tail", "--config", str(c.config), "-l", "1", "--via-logviewer"]
        assert main([*argv, "--logviewer_port", str(c.logviewer_port)]) == 0
        assert capsys.readouterr().out == (
            "127.0.0.1:6700 | line 02999 of the worker log .............\n"
        )


class _Out(io.StringIO):
    """stdout whose text can be waited for from another thread."""

    def __init__(self) -> None:
        super().__init__()
        self.changed = threading.Condition()

    def write(self, text: str) -> int:
        with self.changed:
            n = super().write(text)
            self.changed.notify_all()
        return n

    def wait_for(self, wanted: str, timeout: float = 10) -> bool:
        with self.changed:
            return self.changed.wait_for(lambda: wanted in self.getvalue(), timeout)


def test_follow_prints_appended_lines_until_ctrl_c(
    cluster: Cluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tail, "POLL_SECONDS", 0.05)
    out = _Out()
    monkeypatch.setattr(sys, "stdout", out)
    done = threading.Event()

    def writer() -> None:
        if out.wait_for("line 02999"):
            with cluster.log.open("a") as handle:
                handle.write("appended after ")  # a line written in two parts
                handle.flush()
                handle.write("start\n")
            out.wait_for("appended after start\n")
        if not done.is_set():
            _thread.interrupt_main()  # Ctrl-C

    # interrupt_main() does nothing while SIGINT is ignored (as in a job started in the
    # background by a non-interactive shell): give the test Python's own Ctrl-C handler
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    helper = threading.Thread(target=writer, daemon=True)
    helper.start()
    try:
        code = main(["tail", "--config", str(cluster.config), "-l", "1", "-f"])
        done.set()
        helper.join(timeout=15)
    except KeyboardInterrupt:  # pragma: no cover - only if main ended before the Ctrl-C
        code = -1
    finally:
        signal.signal(signal.SIGINT, previous)
    assert code == 130
    assert out.getvalue().splitlines() == [
        "127.0.0.1:6700 | line 02999 of the worker log .............",
        "127.0.0.1:6700 | appended after start",
    ]
