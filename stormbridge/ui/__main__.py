"""``python -m stormbridge.ui``: run the Storm-UI-compatible server until SIGTERM or Ctrl-C.

Exit codes: 0 after a clean stop, 1 when the server cannot start (port taken ...), 2 for
bad arguments. It binds to 127.0.0.1 by default; ``--host 0.0.0.0`` exposes an
unauthenticated UI (that can kill topologies from loopback clients) to the network.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType

from ..errors import StormBridgeError
from . import DEFAULT_HOST, DEFAULT_PORT

log = logging.getLogger("stormbridge.ui")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m stormbridge.ui",
        description="Storm-UI-compatible REST server (/api/v1) and web page, over Nimbus Thrift.",
    )
    parser.add_argument(
        "--nimbus",
        default="127.0.0.1:6627",
        metavar="HOST:PORT[,HOST:PORT...]",
        help="Nimbus Thrift address, or a comma-separated seed list (default: %(default)s)",
    )
    parser.add_argument(
        "--host",
        default=DEFAULT_HOST,
        help="address to listen on (default: %(default)s, loopback only; "
        "anything else exposes an unauthenticated UI)",
    )
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help="HTTP port, 0 for any (default: %(default)s)"
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=10.0,
        help="seconds to wait for Nimbus on each call (default: %(default)s)",
    )
    parser.add_argument(
        "--allowed-host",
        action="append",
        default=[],
        metavar="NAME[:PORT]",
        help="a host name browsers may use for this UI besides IP addresses and localhost "
        "(repeatable); requests naming any other host get 403 (DNS rebinding protection)",
    )
    parser.add_argument(
        "--logviewer-port",
        type=int,
        default=None,
        metavar="PORT",
        help="the logviewer's port on every host: the pages link worker and daemon logs to it",
    )
    parser.add_argument("--quiet", action="store_true", help="do not log every request")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` (default ``sys.argv[1:]``), serve until SIGTERM/SIGINT, return exit code."""
    parser = build_parser()
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    if args.timeout <= 0:
        parser.error("--timeout must be positive")
    if not 0 <= args.port < 65536:
        parser.error("--port must be between 0 and 65535")

    from .backend import NimbusBackend, parse_seeds
    from .server import make_server

    logging.basicConfig(
        level=logging.WARNING if args.quiet else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        backend = NimbusBackend(parse_seeds(args.nimbus), timeout=args.timeout)
    except StormBridgeError as exc:
        parser.error(str(exc))
    try:
        server = make_server(
            backend,
            args.host,
            args.port,
            allowed_hosts=args.allowed_host,
            logviewer_port=args.logviewer_port,
        )
    except OSError as exc:
        print(f"stormbridge.ui: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1

    def stop(signum: int, frame: FrameType | None) -> None:
        log.info("signal %d: shutting down", signum)
        # shutdown() waits for serve_forever() to return: never call it on the serving thread.
        threading.Thread(target=server.shutdown, daemon=True).start()

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    log.info("Storm UI (stormbridge) on %s, Nimbus %s", server.url, args.nimbus)
    print(f"stormbridge.ui listening on {server.url}", file=sys.stderr, flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    log.info("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
