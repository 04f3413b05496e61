"""A Storm-UI-compatible REST server and web page, backed by Nimbus Thrift.

Storm's own UI (``org.apache.storm:storm-webapp``) cannot be provisioned here, and it is a
thin layer over Nimbus Thrift anyway: this package serves the same ``/api/v1`` subset with
the same JSON field names and shapes (see ``docs/ui.md``), so code that reads "the Storm UI
REST API" works against either. Run it with::

    python -m stormbridge.ui --nimbus 127.0.0.1:6627 --host 127.0.0.1 --port 8080

:mod:`stormbridge.ui.api` turns Thrift results into the JSON (pure functions),
:mod:`stormbridge.ui.backend` talks to Nimbus, :mod:`stormbridge.ui.server` is the HTTP side.
:mod:`stormbridge.ui.client` is the REST client of a running UI (``sparse stats`` and the
daemons' health checks use it). Importing this package imports neither thriftpy2 nor the
HTTP server. It may import ``errors`` and ``thrift``; never Storm's daemons or the CLI.
"""

from __future__ import annotations

__all__ = ["DEFAULT_HOST", "DEFAULT_PORT"]

#: The UI binds to loopback unless told otherwise.
DEFAULT_HOST = "127.0.0.1"
#: Storm's ``ui.port``.
DEFAULT_PORT = 8080
