"""Minimal Storm UI REST reader for ``sparse stats`` (interim: to be replaced by
``stormbridge.storm.ui`` from the cluster work once it lands)."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from ..errors import UIError

__all__ = ["StormUI"]


class StormUI:
    """GETs JSON from ``<base_url>/api/v1/...`` with a timeout; failures raise :class:`UIError`."""

    def __init__(self, base_url: str, *, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def get(self, path: str, **params: str) -> Any:
        url = f"{self.base_url}/api/v1/{path}"
        if params:
            url += "?" + urllib.parse.urlencode(params)
        try:
            with urllib.request.urlopen(url, timeout=self.timeout) as resp:
                body = resp.read()
        except urllib.error.HTTPError as exc:
            detail = _error_message(exc.read())
            raise UIError(
                f"Storm UI at {self.base_url} answered {exc.code} for {path}{detail}"
            ) from exc
        except OSError as exc:  # URLError, timeouts and refused connections are OSErrors
            reason = getattr(exc, "reason", exc)
            raise UIError(
                f"cannot reach the Storm UI at {self.base_url} ({reason}) — is the cluster up? "
                "(`sparse cluster status`; set ui.host/ui.port in config.json)"
            ) from exc
        try:
            return json.loads(body)
        except ValueError as exc:
            raise UIError(f"Storm UI at {self.base_url} sent non-JSON for {path}") from exc

    def cluster_summary(self) -> dict[str, Any]:
        return dict(self.get("cluster/summary"))

    def topology_summaries(self) -> list[dict[str, Any]]:
        return list(self.get("topology/summary").get("topologies") or [])

    def topology(self, topology_id: str, *, window: str = ":all-time") -> dict[str, Any]:
        quoted = urllib.parse.quote(topology_id, safe="")
        return dict(self.get(f"topology/{quoted}", window=window, sys="false"))

    def component(
        self, topology_id: str, component: str, *, window: str = ":all-time"
    ) -> dict[str, Any]:
        tid = urllib.parse.quote(topology_id, safe="")
        cid = urllib.parse.quote(component, safe="")
        return dict(self.get(f"topology/{tid}/component/{cid}", window=window, sys="false"))


def _error_message(body: bytes) -> str:
    try:
        data = json.loads(body)
    except ValueError:
        return ""
    if isinstance(data, dict):
        msg = data.get("errorMessage") or data.get("error")
        if msg:
            return f": {str(msg).strip().splitlines()[0]}"
    return ""
