"""A Storm-logviewer-compatible HTTP daemon over one Storm log directory (stdlib only).

Storm's logviewer (``storm-webapp``) is not served by Maven Central here, and it listens on
every interface; this one binds loopback by default and serves the REST endpoints Storm's UI
links to, with Storm's parameter names:

* ``GET /api/v1/log?file=TOPO_ID/PORT/worker.log&start=N&length=M``: a page of a worker log
  (HTML, the bytes ``[start, start+length)``, links to the previous and next pages). Without
  ``start`` the last ``length`` bytes (default 51200, at most :data:`MAX_LENGTH`).
* ``GET /api/v1/daemonlog?file=nimbus.log&start=&length=``: the same for a daemon's log.
* ``GET /api/v1/download?file=…`` (worker) and ``/api/v1/daemondownload?file=…``: the whole
  file as ``application/octet-stream``.
* ``GET /api/v1/search?file=…&search-string=S&num-matches=N&start-byte-offset=B``: JSON
  ``{"searchString", "startByteOffset", "nextByteOffset", "matches": [{"byteOffset",
  "beforeString", "matchString", "afterString", "logviewerURL"}], "isDaemon"}``.

Confinement: ``file`` is a path relative to ``<log dir>/workers-artifacts`` (worker logs) or to
the log directory itself (daemon logs: one plain name); absolute paths, ``..``, NUL bytes and
anything that resolves (through symlinks too) outside that directory are refused with 403, a
missing or non-regular file is 404, a bad number or an oversized range is 400 — always JSON
``{"error", "errorMessage"}`` like the UI. No request path or parameter ever reaches a shell.
"""

from __future__ import annotations

import argparse
import html
import json
import logging
import os
import signal
import socket
import stat
import sys
import threading
from collections.abc import Sequence
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import parse_qs, quote, urlencode, urlsplit

__all__ = [
    "DEFAULT_LENGTH",
    "MAX_LENGTH",
    "LogViewer",
    "LogviewerError",
    "main",
    "make_logviewer",
]

log = logging.getLogger("stormbridge.logviewer")

#: Bytes a log page shows by default (Storm's logviewer default).
DEFAULT_LENGTH = 51_200
#: The largest page asked for with ``length``.
MAX_LENGTH = 1_048_576
#: Longest ``search-string`` accepted (Storm's ``GREP_MAX_SEARCH_SIZE``).
MAX_SEARCH = 1024
#: Most matches one search answers.
MAX_MATCHES = 1000
#: Characters of context before and after a match.
CONTEXT = 128
#: Bytes read at a time while searching.
_SEARCH_BLOCK = 1 << 20
WORKERS_DIR = "workers-artifacts"


class LogviewerError(Exception):
    """An answer other than 200, with Storm's JSON error shape."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _param(query: dict[str, list[str]], name: str, default: str | None = None) -> str | None:
    values = query.get(name)
    return values[-1] if values else default


def _int_param(
    query: dict[str, list[str]], name: str, default: int | None, low: int, high: int
) -> int | None:
    text = _param(query, name)
    if text is None or text == "":
        return default
    try:
        value = int(text)
    except ValueError:
        raise LogviewerError(400, f"{name} must be a whole number, got {text[:40]!r}") from None
    if not low <= value <= high:
        raise LogviewerError(400, f"{name} must be between {low} and {high}, got {value}")
    return value


class LogViewer:
    """The files one logviewer may serve: ``log_dir`` and ``log_dir/workers-artifacts``."""

    def __init__(self, log_dir: Path) -> None:
        self.root = Path(os.path.realpath(log_dir))
        if not self.root.is_dir():
            raise LogviewerError(500, f"the log directory {log_dir} does not exist")

    def resolve(self, file: str | None, daemon: bool) -> Path:
        """The regular file ``file`` names, or :class:`LogviewerError` (400/403/404)."""
        if not file:
            raise LogviewerError(
                400, "the file parameter is missing (e.g. ?file=TOPO/6700/worker.log)"
            )
        if "\x00" in file or len(file) > 4096:
            raise LogviewerError(400, "the file parameter is not a usable path")
        rel = Path(file)
        base = self.root if daemon else self.root / WORKERS_DIR
        if rel.is_absolute() or ".." in rel.parts or (daemon and len(rel.parts) != 1):
            raise LogviewerError(
                403,
                f"{file!r} is outside the logs this logviewer serves: give a path relative to "
                + ("the log directory (a plain file name)" if daemon else f"{WORKERS_DIR}/"),
            )
        real = Path(os.path.realpath(base / rel))
        if not real.is_relative_to(base) or real == base:
            raise LogviewerError(403, f"{file!r} leads outside the Storm log directory")
        try:
            info = real.stat()
        except OSError:
            raise LogviewerError(404, f"no log file {file!r}") from None
        if not stat.S_ISREG(info.st_mode):
            raise LogviewerError(404, f"{file!r} is not a log file")
        return real

    @staticmethod
    def read(path: Path, start: int, length: int) -> bytes:
        with open(path, "rb", opener=_no_follow) as handle:
            handle.seek(start)
            return handle.read(length)

    def search(
        self, path: Path, needle: bytes, num: int, offset: int, link: str
    ) -> tuple[list[dict[str, Any]], int | None]:
        """Up to ``num`` matches of ``needle`` from byte ``offset``; the offset to go on from."""
        matches: list[dict[str, Any]] = []
        size = path.stat().st_size
        with open(path, "rb", opener=_no_follow) as handle:
            at = offset
            while at < size and len(matches) < num:
                handle.seek(max(0, at - CONTEXT))
                head = at - max(0, at - CONTEXT)
                block = handle.read(head + _SEARCH_BLOCK + len(needle) + CONTEXT)
                found = block.find(needle, head)
                limit = head + _SEARCH_BLOCK
                if found < 0 or found >= limit:
                    at += _SEARCH_BLOCK
                    continue
                where = at - head + found
                before = block[max(0, found - CONTEXT) : found]
                after = block[found + len(needle) : found + len(needle) + CONTEXT]
                page_start = max(0, where - DEFAULT_LENGTH // 2)
                matches.append(
                    {
                        "byteOffset": where,
                        "beforeString": before.decode("utf-8", "replace"),
                        "matchString": needle.decode("utf-8", "replace"),
                        "afterString": after.decode("utf-8", "replace"),
                        "logviewerURL": f"{link}&start={page_start}&length={DEFAULT_LENGTH}",
                    }
                )
                at = where + len(needle)
        return matches, (at if at < size else None)


def _no_follow(path: str, flags: int) -> int:
    """Open without following a symlink swapped in after the check."""
    return os.open(path, flags | getattr(os, "O_NOFOLLOW", 0))


class LogviewerServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], viewer: LogViewer) -> None:
        self.viewer = viewer
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, LogviewerHandler)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        host = str(host)
        return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


class LogviewerHandler(BaseHTTPRequestHandler):
    server: LogviewerServer
    server_version = "stormbridge-logviewer"
    protocol_version = "HTTP/1.1"
    timeout = 60

    def log_message(self, format: str, *args: Any) -> None:
        log.info("%s %s", self.address_string(), format % args)

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        query = parse_qs(url.query, keep_blank_values=True)
        try:
            match url.path:
                case "/" | "/index.html":
                    self._send(200, _index(self.server.viewer.root), "text/html; charset=utf-8")
                case "/api/v1/log" | "/api/v1/daemonlog":
                    self._page(query, daemon=url.path.endswith("daemonlog"))
                case "/api/v1/download" | "/api/v1/daemondownload":
                    self._download(query, daemon=url.path.endswith("daemondownload"))
                case "/api/v1/search":
                    self._search(query)
                case _:
                    raise LogviewerError(404, f"no such path: {url.path}")
        except LogviewerError as exc:
            self._error(exc.status, exc.message)
        except OSError as exc:
            self._error(500, f"cannot read the log: {exc.strerror or exc}")

    def _page(self, query: dict[str, list[str]], daemon: bool) -> None:
        viewer = self.server.viewer
        file = _param(query, "file")
        path = viewer.resolve(file, daemon)
        size = path.stat().st_size
        length = _int_param(query, "length", DEFAULT_LENGTH, 1, MAX_LENGTH)
        assert length is not None
        start = _int_param(query, "start", None, 0, 2**62)
        if start is None:
            start = max(0, size - length)
        start = min(start, size)
        data = viewer.read(path, start, length)
        endpoint = "daemonlog" if daemon else "log"
        base = f"/api/v1/{endpoint}?{urlencode({'file': file})}"
        links: list[str] = []

        def link(anchor: str, href: str, text: str) -> None:
            links.append(f'<a id="{anchor}" href="{html.escape(href)}">{text}</a>')

        if start > 0:
            link("prev", f"{base}&start={max(0, start - length)}&length={length}", "Prev")
        if start + len(data) < size:
            link("next", f"{base}&start={start + len(data)}&length={length}", "Next")
        download = "daemondownload" if daemon else "download"
        link("download", f"/api/v1/{download}?{urlencode({'file': file})}", "Download full file")
        body = (
            '<!DOCTYPE html><html><head><meta charset="utf-8"><title>'
            f"{html.escape(str(file))} - Storm log</title></head><body>"
            f"<h1>{html.escape(str(file))}</h1>"
            f'<p id="range" data-start="{start}" data-length="{len(data)}" data-size="{size}">'
            f"bytes {start} to {start + len(data)} of {size}</p>"
            f"<p>{' · '.join(links)}</p>"
            f'<pre id="logContent">{html.escape(data.decode("utf-8", "replace"))}</pre>'
            "</body></html>"
        )
        self._send(200, body.encode("utf-8"), "text/html; charset=utf-8")

    def _download(self, query: dict[str, list[str]], daemon: bool) -> None:
        path = self.server.viewer.resolve(_param(query, "file"), daemon)
        size = path.stat().st_size
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(size))
        name = quote(path.name)
        self.send_header("Content-Disposition", f"attachment; filename*=UTF-8''{name}")
        self._common_headers()
        self.end_headers()
        with open(path, "rb", opener=_no_follow) as handle:
            left = size
            while left > 0:
                chunk = handle.read(min(left, 65536))
                if not chunk:
                    break
                self.wfile.write(chunk)
                left -= len(chunk)

    def _search(self, query: dict[str, list[str]]) -> None:
        viewer = self.server.viewer
        daemon = (_param(query, "is-daemon") or "").lower() == "yes"
        file = _param(query, "file")
        path = viewer.resolve(file, daemon)
        needle = _param(query, "search-string") or ""
        if not needle:
            raise LogviewerError(400, "search-string is missing or empty")
        if len(needle.encode("utf-8")) > MAX_SEARCH:
            raise LogviewerError(400, f"search-string is longer than {MAX_SEARCH} bytes")
        num = _int_param(query, "num-matches", 10, 1, MAX_MATCHES)
        offset = _int_param(query, "start-byte-offset", 0, 0, 2**62)
        assert num is not None and offset is not None
        link = f"/api/v1/{'daemonlog' if daemon else 'log'}?{urlencode({'file': file})}"
        matches, next_offset = viewer.search(path, needle.encode("utf-8"), num, offset, link)
        self._json(
            200,
            {
                "isDaemon": "yes" if daemon else "no",
                "searchString": needle,
                "startByteOffset": offset,
                "nextByteOffset": next_offset,
                "matches": matches,
            },
        )

    # -- answers ---------------------------------------------------------------------------

    def _common_headers(self) -> None:
        self.send_header("Cache-Control", "no-cache, no-store")
        self.send_header("X-Content-Type-Options", "nosniff")

    def _send(self, status: int, data: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self._common_headers()
        self.end_headers()
        self.wfile.write(data)

    def _json(self, status: int, body: Any) -> None:
        self._send(status, json.dumps(body).encode("utf-8"), "application/json;charset=utf-8")

    def _error(self, status: int, message: str) -> None:
        phrase = HTTPStatus(status).phrase
        self._json(status, {"error": f"{status} {phrase}", "errorMessage": message})


def _index(root: Path) -> bytes:
    """A plain list of the log files (daemon logs, then worker logs), linked."""
    items: list[str] = []
    for path in sorted(root.glob("*.log")):
        href = "/api/v1/daemonlog?" + urlencode({"file": path.name})
        items.append(f'<li><a href="{html.escape(href)}">{html.escape(path.name)}</a></li>')
    workers = root / WORKERS_DIR
    for path in sorted(workers.glob("*/*/*.log")) if workers.is_dir() else []:
        rel = path.relative_to(workers).as_posix()
        href = "/api/v1/log?" + urlencode({"file": rel})
        items.append(f'<li><a href="{html.escape(href)}">{html.escape(rel)}</a></li>')
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8"><title>Storm logs</title></head>'
        f"<body><h1>Storm logs in {html.escape(str(root))}</h1><ul>{''.join(items)}</ul>"
        "</body></html>"
    ).encode()


def make_logviewer(log_dir: Path, host: str = "127.0.0.1", port: int = 8000) -> LogviewerServer:
    """Bind (port 0 picks one) without serving yet; raises :class:`LogviewerError` for a
    missing log directory."""
    return LogviewerServer((host, port), LogViewer(log_dir))


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m stormbridge.ui.logviewer --log-dir DIR [--host H] [--port P]``."""
    parser = argparse.ArgumentParser(
        prog="python -m stormbridge.ui.logviewer",
        description="Serve a Storm log directory with Storm's logviewer REST endpoints.",
    )
    parser.add_argument("--log-dir", required=True, type=Path, help="Storm's storm.log.dir")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default loopback)")
    parser.add_argument("--port", type=int, default=8000, help="port (default 8000, 0: any)")
    parser.add_argument("--quiet", action="store_true", help="do not log every request")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.WARNING if args.quiet else logging.INFO,
        format="%(asctime)s %(name)s %(message)s",
    )
    try:
        server = make_logviewer(args.log_dir, args.host, args.port)
    except LogviewerError as exc:
        print(f"logviewer: error: {exc.message}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"logviewer: error: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1

    def stop(signum: int, frame: FrameType | None) -> None:
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(f"logviewer: serving {server.viewer.root} at {server.url}", file=sys.stderr, flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
