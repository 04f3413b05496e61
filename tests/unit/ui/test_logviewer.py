"""The logviewer daemon over a real log directory, over real HTTP on 127.0.0.1: byte-offset
paging, download, search, daemon logs; confinement (traversal, absolute paths, symlinks out,
NUL), bad and oversized ranges; `python -m stormbridge.ui.logviewer` as a subprocess."""

from __future__ import annotations

import html
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from stormbridge.ui.logviewer import DEFAULT_LENGTH, MAX_LENGTH, LogviewerServer, make_logviewer

from .conftest import request

TOPO = "wordcount-1-1764140000"
LINES = [f"2026-12-06 line {i:05d} {'x' * 40}\n" for i in range(3000)]


@pytest.fixture
def logs(tmp_path: Path) -> Path:
    root = tmp_path / "logs"
    worker = root / "workers-artifacts" / TOPO / "6700"
    worker.mkdir(parents=True)
    (worker / "worker.log").write_text("".join(LINES) + "ERROR boom <script>x</script>\n")
    (root / "nimbus.log").write_text("nimbus started\nleader elected\n")
    secret = tmp_path / "secret.txt"
    secret.write_text("password=hunter2\n")
    (worker / "escape.log").symlink_to(secret)  # a symlink leading out of the log dir
    (root / "daemon-escape.log").symlink_to(secret)
    (worker / "inside.log").symlink_to(worker / "worker.log")  # inside: allowed
    return root


@pytest.fixture
def viewer(logs: Path) -> Iterator[LogviewerServer]:
    server = make_logviewer(logs, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def page(server: LogviewerServer, query: str, endpoint: str = "log") -> tuple[int, str]:
    reply = request(f"{server.url}/api/v1/{endpoint}?{query}")
    return reply.status, reply.body.decode()


def content(body: str) -> str:
    match = re.search(r'<pre id="logContent">(.*)</pre>', body, re.S)
    assert match, body[:500]
    return html.unescape(match.group(1))


def worker_file(name: str = "worker.log") -> str:
    return "file=" + quote(f"{TOPO}/6700/{name}", safe="")


def test_paging_by_byte_offset(viewer: LogviewerServer, logs: Path) -> None:
    data = (logs / "workers-artifacts" / TOPO / "6700" / "worker.log").read_bytes()
    status, body = page(viewer, worker_file() + "&start=100&length=1000")
    assert status == 200
    assert content(body).encode() == data[100:1100]
    assert 'data-start="100" data-length="1000"' in body
    assert "start=0&amp;length=1000" in body and "start=1100&amp;length=1000" in body
    # default: the tail, DEFAULT_LENGTH bytes
    status, body = page(viewer, worker_file())
    assert content(body).encode() == data[-DEFAULT_LENGTH:]
    assert "ERROR boom &lt;script&gt;" in body  # escaped, never markup
    assert 'id="next"' not in body
    # past the end: an empty last page, no error
    status, body = page(viewer, worker_file() + f"&start={len(data) + 50}")
    assert status == 200 and content(body) == ""
    # a symlink that stays inside the log directory is served
    assert page(viewer, worker_file("inside.log") + "&start=0&length=10")[0] == 200


def test_bad_and_oversized_ranges(viewer: LogviewerServer) -> None:
    for query, words in [
        ("&length=0", "length must be between 1"),
        (f"&length={MAX_LENGTH + 1}", f"and {MAX_LENGTH}"),
        ("&start=-5", "start must be between 0"),
        ("&start=abc", "start must be a whole number"),
        ("&start=99999999999999999999999", "start must be between"),
    ]:
        status, body = page(viewer, worker_file() + query)
        assert status == 400, query
        assert words in body, body


@pytest.mark.parametrize(
    "file",
    [
        "../../../../etc/passwd",
        "/etc/passwd",
        f"{TOPO}/../../nimbus.log",
        f"{TOPO}/6700/escape.log",
    ],
)
def test_nothing_outside_the_log_dir(viewer: LogviewerServer, file: str) -> None:
    status, body = page(viewer, "file=" + quote(file, safe=""))
    assert status == 403, body
    assert "hunter2" not in body
    status, body = page(viewer, "file=" + quote(file, safe=""), "download")
    assert status == 403 and "hunter2" not in body


def test_missing_files_and_parameters(viewer: LogviewerServer) -> None:
    assert page(viewer, worker_file("nope.log"))[0] == 404
    assert page(viewer, "file=" + quote(TOPO, safe=""))[0] == 404  # a directory
    status, body = page(viewer, "")
    assert status == 400 and "file parameter is missing" in body
    assert page(viewer, "file=a%00b")[0] == 400
    assert request(f"{viewer.url}/api/v1/nothing").status == 404


def test_daemon_logs(viewer: LogviewerServer) -> None:
    status, body = page(viewer, "file=nimbus.log", "daemonlog")
    assert status == 200 and content(body) == "nimbus started\nleader elected\n"
    assert page(viewer, "file=daemon-escape.log", "daemonlog")[0] == 403
    # daemon logs are plain names in the log directory, nothing deeper
    assert (
        page(viewer, worker_file().replace("file=", "file=workers-artifacts%2F"), "daemonlog")[0]
        == 403
    )
    reply = request(f"{viewer.url}/api/v1/daemondownload?file=nimbus.log")
    assert reply.body == b"nimbus started\nleader elected\n"


def test_download(viewer: LogviewerServer, logs: Path) -> None:
    reply = request(f"{viewer.url}/api/v1/download?{worker_file()}")
    assert reply.status == 200
    assert reply.body == (logs / "workers-artifacts" / TOPO / "6700" / "worker.log").read_bytes()
    assert reply.headers["Content-Type"] == "application/octet-stream"
    assert "attachment" in reply.headers["Content-Disposition"]


def test_search(viewer: LogviewerServer, logs: Path) -> None:
    data = (logs / "workers-artifacts" / TOPO / "6700" / "worker.log").read_bytes()
    url = f"{viewer.url}/api/v1/search?{worker_file()}&search-string=line+00299&num-matches=5"
    found = request(url).json()
    [match] = found["matches"]
    assert match["byteOffset"] == data.index(b"line 00299")
    assert match["matchString"] == "line 00299"
    assert match["beforeString"].endswith("2026-12-06 ")
    assert match["afterString"].startswith(" xxx")
    assert match["logviewerURL"].startswith("/api/v1/log?file=")
    assert found["nextByteOffset"] is None
    # paged search: 3 matches at a time, then go on from nextByteOffset
    url = f"{viewer.url}/api/v1/search?{worker_file()}&search-string=2026-12-06&num-matches=3"
    first = request(url).json()
    assert [m["byteOffset"] for m in first["matches"]] == [0, len(LINES[0]), 2 * len(LINES[0])]
    more = request(url + f"&start-byte-offset={first['nextByteOffset']}").json()
    assert more["matches"][0]["byteOffset"] == 3 * len(LINES[0])
    too_long = request(url.replace("2026-12-06", "x" * 1025))
    assert too_long.status == 400 and "longer than 1024" in too_long.json()["errorMessage"]
    daemon = request(
        f"{viewer.url}/api/v1/search?file=nimbus.log&is-daemon=yes&search-string=leader"
    ).json()
    assert daemon["matches"][0]["byteOffset"] == len("nimbus started\n")


def test_index_lists_the_logs(viewer: LogviewerServer) -> None:
    body = request(viewer.url + "/").body.decode()
    assert "nimbus.log" in body and f"{TOPO}/6700/worker.log" in body


def test_module_runs_binds_loopback_and_stops_on_sigterm(logs: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "stormbridge.ui.logviewer", "--log-dir", str(logs), "--port", "0"],
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        match = re.search(r"at (http://127\.0\.0\.1:\d+)", line)
        assert match, line
        assert request(match.group(1) + "/api/v1/daemonlog?file=nimbus.log").status == 200
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if proc.stderr is not None:
            proc.stderr.close()
    bad = subprocess.run(
        [sys.executable, "-m", "stormbridge.ui.logviewer", "--log-dir", str(logs / "nope")],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert bad.returncode == 1 and "does not exist" in bad.stderr


def test_ui_links_logs_to_the_logviewer(nimbus: object) -> None:
    """The UI with --logviewer-port fills Storm's log links; without it they stay ""."""
    from stormbridge.ui.backend import NimbusBackend

    from . import nimbus_data as data
    from .conftest import serve

    port = nimbus.port  # type: ignore[attr-defined]
    backend = NimbusBackend([("127.0.0.1", port)], timeout=10.0)
    for ui in serve(backend):
        assert (
            request(f"{ui.url}/api/v1/topology/{data.TOPOLOGY_ID}").json()["workers"][0][
                "workerLogLink"
            ]
            == ""
        )
    from stormbridge.ui.server import make_server

    ui = make_server(backend, "127.0.0.1", 0, logviewer_port=8123)
    thread = threading.Thread(target=ui.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        topo = request(f"{ui.url}/api/v1/topology/{data.TOPOLOGY_ID}").json()
        worker = topo["workers"][0]
        file = quote(f"{data.TOPOLOGY_ID}/{worker['port']}/worker.log", safe="")
        assert worker["workerLogLink"] == f"http://127.0.0.1:8123/api/v1/log?file={file}"
        count = {b["boltId"]: b for b in topo["bolts"]}["count"]
        assert count["errorWorkerLogLink"].startswith("http://127.0.0.1:8123/api/v1/log?file=")
        comp = request(f"{ui.url}/api/v1/topology/{data.TOPOLOGY_ID}/component/count").json()
        assert all(e["workerLogLink"].startswith("http://") for e in comp["executorStats"])
        assert comp["componentErrors"][0]["errorWorkerLogLink"].endswith("worker.log")
        sups = request(f"{ui.url}/api/v1/supervisor/summary").json()
        assert sups["logviewerPort"] == 8123
        assert sups["supervisors"][0]["logLink"] == "http://127.0.0.1:8123/"
        [leader] = request(f"{ui.url}/api/v1/nimbus/summary").json()["nimbuses"]
        assert leader["nimbusLogLink"] == ("http://127.0.0.1:8123/api/v1/daemonlog?file=nimbus.log")
    finally:
        ui.shutdown()
        ui.server_close()
        thread.join(timeout=10)
