"""A Storm-UI-compatible HTTP server: ``/api/v1`` JSON from Nimbus Thrift, plus one web page.

Stdlib only (:class:`http.server.ThreadingHTTPServer`). Every API request opens its own
short Nimbus connection (:class:`~stormbridge.ui.backend.NimbusBackend`) and turns the answer
into Storm's JSON with :mod:`stormbridge.ui.api`.

Errors are answered like Storm's UI does, as JSON ``{"error": "500 Server Error",
"errorMessage": ...}`` (401 for an authorization failure); unknown paths get 404 in the same
shape. Static files are a fixed table of names: nothing in a request becomes a file path.

Safety: bind to loopback (the default). Every request must name a host the UI serves in its
``Host`` header (an IP address, ``localhost``, or a name given with ``allowed_hosts``), so that
a web page on a foreign domain resolving to 127.0.0.1 (DNS rebinding) cannot read or act on
the cluster through a user's browser; others get 403. POSTs (activate, deactivate, kill,
rebalance) are refused unless the client is on loopback, and refused when a browser says
they come from another origin (``Origin`` header), so a web page cannot kill a topology
through a user's browser. There is no authentication, exactly like Storm's UI without ``ui.filter``.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import socket
import time
from collections.abc import Callable, Iterable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from ..errors import AuthorizationError, NotAliveError, StormBridgeError
from . import api
from .backend import NimbusBackend, NimbusSession
from .loglinks import add_log_links
from .stats import with_kept_errors
from .visualization import visualization, visualization_table

__all__ = ["UIServer", "make_server"]

log = logging.getLogger("stormbridge.ui")

STATIC_DIR = Path(__file__).with_name("static")
#: The only files the server sends: request path -> (file in static/, content type).
STATIC_FILES: dict[str, tuple[str, str]] = {
    "/": ("index.html", "text/html; charset=utf-8"),
    "/index.html": ("index.html", "text/html; charset=utf-8"),
    "/topology.html": ("index.html", "text/html; charset=utf-8"),
    "/component.html": ("index.html", "text/html; charset=utf-8"),
    "/ui.js": ("ui.js", "text/javascript; charset=utf-8"),
    "/ui.css": ("ui.css", "text/css; charset=utf-8"),
}
#: The largest POST body read (and ignored, as Storm does).
MAX_BODY = 64 * 1024
API = "/api/v1/"


class HTTPError(Exception):
    """An HTTP error answer with Storm's JSON error shape."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _bool_param(query: dict[str, list[str]], name: str) -> bool:
    """Jersey's boolean query parameter: ``true`` (any case) is true, anything else false."""
    values = query.get(name) or [""]
    return values[-1].strip().lower() == "true"


def _wait_secs(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise HTTPError(500, f"wait time must be a whole number of seconds, got {text!r}") from None
    if value < 0:
        raise HTTPError(500, f"wait time must not be negative, got {value}")
    return value


def _is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address.split("%")[0]).is_loopback
    except ValueError:
        return False


def _split_host(header: str) -> tuple[str, int | None] | None:
    """``"name:port"`` / ``"[v6]:port"`` / ``"name"`` -> (lowercase name, port); None if
    malformed."""
    if header.startswith("["):
        name, bracket, rest = header[1:].partition("]")
        if not bracket:
            return None
    else:
        name, colon, rest = header.rpartition(":")
        if not colon:
            name, rest = header, ""
        elif ":" in name:
            return None
        else:
            rest = colon + rest
    if rest and not (rest.startswith(":") and rest[1:].isdigit() and 0 < int(rest[1:]) < 65536):
        return None
    name = name.lower().rstrip(".")
    if not name or any(c.isspace() or c in "/\\@?#" for c in name):
        return None
    return name, int(rest[1:]) if rest else None


def _host_is_served(header: str, allowed: frozenset[str]) -> bool:
    """IP literals and ``localhost`` cannot be rebound by a foreign page, so any port is
    fine (an SSH tunnel changes it); other names only when configured, as ``name`` (any
    port) or ``name:port``."""
    parsed = _split_host(header)
    if parsed is None:
        return False
    name, port = parsed
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        ipaddress.ip_address(name)
    except ValueError:
        pass
    else:
        return True
    return name in allowed or (port is not None and f"{name}:{port}" in allowed)


def _resolve(nimbus: NimbusSession, topology: str, errors: str) -> Any:
    """``TopologyInfo`` of a topology id; a topology *name* is accepted too."""
    try:
        return nimbus.topology_info(topology, errors)
    except NotAliveError:
        for summary in nimbus.topology_summaries():
            if summary.name == topology:
                return nimbus.topology_info(summary.id, errors)
        raise


def _with_kept_errors(nimbus: NimbusSession, info: Any) -> Any:
    """``info`` (asked for with ALL errors) whose errors also hold the last error Nimbus keeps
    per component, which outlives the recent errors of a dead worker (see
    :func:`stats.with_kept_errors`)."""
    try:
        kept = nimbus.topology_info(info.id, "ONE").errors
    except NotAliveError:
        return info  # killed in between: the page as it was
    info.errors = with_kept_errors(info.errors, kept)
    return info


def _component_types(nimbus: NimbusSession, info: Any) -> dict[str, str] | None:
    """Spout/bolt of components whose executors have not reported stats yet."""
    if all(e.stats is not None for e in info.executors or ()):
        return None
    try:
        topology = nimbus.topology(info.id)
    except StormBridgeError:
        return None
    types = {cid: "spout" for cid in topology.spouts or {}}
    types.update({cid: "bolt" for cid in topology.bolts or {}})
    return types


def _topology_conf(nimbus: NimbusSession, topology_id: str) -> dict[str, Any]:
    conf = json.loads(nimbus.topology_conf(topology_id))
    return conf if isinstance(conf, dict) else {}


class UIServer(ThreadingHTTPServer):
    """The HTTP server; ``backend`` says where Nimbus is, ``clock`` gives epoch seconds."""

    daemon_threads = True
    allow_reuse_address = True
    #: listen() backlog: socketserver's 5 drops connects under a burst of browser tabs or
    #: scripts (clients then wait seconds for SYN retransmits, or time out); the kernel caps
    #: it at net.core.somaxconn.
    request_queue_size = 1024

    def __init__(
        self,
        address: tuple[str, int],
        backend: NimbusBackend,
        clock: Callable[[], float] = time.time,
        allowed_hosts: Iterable[str] = (),
        logviewer_port: int | None = None,
    ) -> None:
        self.backend = backend
        self.clock = clock
        #: Where the logviewer listens on every host (log links), ``None``: no links.
        self.logviewer_port = logviewer_port
        #: Host names (``name`` or ``name:port``) served besides IP addresses and localhost.
        self.allowed_hosts = frozenset(h.strip().lower().rstrip(".") for h in allowed_hosts)
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, UIRequestHandler)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        host = str(host)
        return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"

    # The routes ------------------------------------------------------------------

    def get_api(self, path: list[str], query: dict[str, list[str]]) -> Any:
        return add_log_links(self._get_api(path, query), path, self.logviewer_port)

    def _get_api(self, path: list[str], query: dict[str, list[str]]) -> Any:
        if not _is_get_endpoint(path):  # before connecting: 404 even while Nimbus is down
            raise HTTPError(404, f"no such API endpoint: {API}{'/'.join(path)}")
        window = (query.get("window") or [api.ALL_TIME])[-1] or api.ALL_TIME
        include_sys = _bool_param(query, "sys")
        now = int(self.clock())
        with self.backend.session() as nimbus:
            match path:
                case ["cluster", "summary"]:
                    return api.cluster_summary(nimbus.cluster_info())
                case ["cluster", "configuration"]:
                    return api.cluster_configuration(nimbus.nimbus_conf())
                case ["nimbus", "summary"]:
                    return api.nimbus_summary(nimbus.cluster_info(), self.backend.seeds)
                case ["supervisor", "summary"]:
                    return api.supervisor_summary(nimbus.cluster_info())
                case ["topology", "summary"]:
                    return api.topology_summary(nimbus.topology_summaries())
                case ["topology", topology]:
                    info = _with_kept_errors(nimbus, _resolve(nimbus, topology, "ALL"))
                    page = api.topology_page(
                        info,
                        _topology_conf(nimbus, info.id),
                        window,
                        include_sys,
                        now,
                        _component_types(nimbus, info),
                    )
                    try:
                        graph = visualization(info, nimbus.topology(info.id), window, include_sys)
                        page["visualizationTable"] = visualization_table(graph)
                    except StormBridgeError:
                        pass  # the page without its stream table
                    return page
                case ["topology", topology, ("visualization" | "visualization-init") as what]:
                    info = _resolve(nimbus, topology, "ONE")
                    graph = visualization(info, nimbus.topology(info.id), window, include_sys)
                    if what == "visualization":
                        return graph
                    return {"visualizationTable": visualization_table(graph)}
                case ["topology", topology, "component", component]:
                    info = _with_kept_errors(nimbus, _resolve(nimbus, topology, "ALL"))
                    try:
                        return api.component_page(
                            info,
                            component,
                            window,
                            include_sys,
                            now,
                            _component_types(nimbus, info),
                        )
                    except KeyError:
                        raise HTTPError(
                            404, f"topology {info.id} has no component {component!r}"
                        ) from None
        raise HTTPError(404, f"no such API endpoint: {API}{'/'.join(path)}")

    def post_api(self, path: list[str]) -> Any:
        match path:
            case ["topology", topology, ("activate" | "deactivate") as op]:
                wait = None
            case ["topology", topology, ("kill" | "rebalance") as op, wait_text]:
                wait = _wait_secs(wait_text)
            case _:
                raise HTTPError(404, f"no such API endpoint: POST {API}{'/'.join(path)}")
        with self.backend.session() as nimbus:
            info = _resolve(nimbus, topology, "NONE")
            if op == "activate":
                nimbus.activate(info.name)
            elif op == "deactivate":
                nimbus.deactivate(info.name)
            elif op == "kill":
                nimbus.kill(info.name, wait or 0)
            else:
                nimbus.rebalance(info.name, wait or 0)
        return api.topology_operation(topology, op)


def _is_get_endpoint(path: list[str]) -> bool:
    match path:
        case ["cluster", "summary" | "configuration"] | ["nimbus" | "supervisor", "summary"]:
            return True
        case ["topology", _] | ["topology", _, "component", _]:
            return True
        case ["topology", _, "visualization" | "visualization-init"]:
            return True
    return False


def _api_path(path: str) -> list[str] | None:
    if not path.startswith(API):
        return None
    return [unquote(part) for part in path[len(API) :].split("/") if part != ""]


class UIRequestHandler(BaseHTTPRequestHandler):
    """Routes one request; everything it answers is JSON except the fixed static files."""

    server: UIServer
    server_version = "stormbridge-ui"
    protocol_version = "HTTP/1.1"
    timeout = 60  # seconds a client may take to send a request

    def log_message(self, format: str, *args: Any) -> None:
        log.info("%s %s", self.address_string(), format % args)

    def _host_refused(self) -> bool:
        """Answer 403 (and return True) unless ``Host`` names a host this UI serves."""
        host = self.headers.get("Host")
        if host is None or _host_is_served(host, self.server.allowed_hosts):
            return False
        self._send_error(
            403,
            f"this Storm UI does not serve the host {host!r} (a page on another domain "
            "pointing at this machine is refused: DNS rebinding); open it by IP address or "
            "localhost, or start it with --allowed-host NAME to serve that name",
        )
        return True

    def do_GET(self) -> None:
        if self._host_refused():
            return
        url = urlsplit(self.path)
        api_path = _api_path(url.path)
        if api_path is None:
            self._send_static(url.path)
            return
        query = parse_qs(url.query, keep_blank_values=True)
        self._answer(lambda: self.server.get_api(api_path, query))

    def do_POST(self) -> None:
        self._discard_body()
        if self._host_refused():
            return
        url = urlsplit(self.path)
        api_path = _api_path(url.path)
        if api_path is None:
            self._send_error(404, f"no such path: {url.path}")
            return
        refusal = self._post_refusal()
        if refusal:
            self._send_error(403, refusal)
            return
        self._answer(lambda: self.server.post_api(api_path))

    def _post_refusal(self) -> str | None:
        client = self.client_address[0]
        if not _is_loopback(client):
            return (
                f"topology actions are accepted only from this machine, not from {client}; "
                "use `sparse` on the cluster host"
            )
        origin = self.headers.get("Origin")
        if origin and origin != "null" and urlsplit(origin).netloc != self.headers.get("Host"):
            return f"cross-origin topology action from {origin} refused"
        if origin == "null":
            return "topology action from an opaque origin refused"
        return None

    def _discard_body(self) -> None:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = 0
        if length > 0:
            self.rfile.read(min(length, MAX_BODY))
        if length > MAX_BODY:
            self.close_connection = True

    def _answer(self, produce: Callable[[], Any]) -> None:
        try:
            body = produce()
        except HTTPError as exc:
            self._send_error(exc.status, exc.message)
        except AuthorizationError as exc:
            self._send_error(401, str(exc))
        except StormBridgeError as exc:
            self._send_error(500, str(exc))
        except Exception as exc:  # a server answers every request; logged with its traceback
            log.exception("failed to answer %s", self.path)
            self._send_error(500, f"{type(exc).__name__}: {exc}")
        else:
            self._send_json(200, body)

    def _send_error(self, status: int, message: str) -> None:
        phrase = {500: "Server Error"}.get(status) or HTTPStatus(status).phrase
        self._send_json(status, {"error": f"{status} {phrase}", "errorMessage": message})

    def _send_json(self, status: int, body: Any) -> None:
        data = json.dumps(body, separators=(",", ":"), allow_nan=False).encode("utf-8")
        self._send(status, data, "application/json;charset=utf-8")

    def _send_static(self, path: str) -> None:
        entry = STATIC_FILES.get(path)
        if entry is None:
            self._send_error(404, f"no such path: {path}")
            return
        name, content_type = entry
        try:
            data = (STATIC_DIR / name).read_bytes()
        except OSError as exc:
            self._send_error(500, f"the UI's static file {name} is missing ({exc})")
            return
        self._send(200, data, content_type)

    def _send(self, status: int, data: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-cache, no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)


def make_server(
    backend: NimbusBackend,
    host: str = "127.0.0.1",
    port: int = 8080,
    clock: Callable[[], float] = time.time,
    allowed_hosts: Iterable[str] = (),
    logviewer_port: int | None = None,
) -> UIServer:
    """Bind (port 0 picks a free port) without serving yet; call ``serve_forever()``.
    ``allowed_hosts``: host names served besides IP addresses and localhost;
    ``logviewer_port``: the logviewer's port, for the log links."""
    from ..thrift import storm_thrift

    storm_thrift()  # parse the IDL once now, not in racing request threads
    return UIServer((host, port), backend, clock, allowed_hosts, logviewer_port)
