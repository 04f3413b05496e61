"""A small client of Storm's logviewer (``/api/v1/log`` pages), stdlib only: the end of a
worker log and the bytes appended after an offset, for ``sparse tail`` without SSH.

Pages are read by byte offset (``start``/``length``); the range a page covers comes from its
``data-start``/``data-length``/``data-size`` attributes (:mod:`stormbridge.ui.logviewer`),
else from the ``start`` asked for and the text's UTF-8 length. Every call has the deadline of
:class:`stormbridge.ui.client.UIClient` (``timeout`` seconds for the whole answer); every
failure becomes :class:`stormbridge.errors.UIError`.
"""

from __future__ import annotations

import html
import http.client
import re
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

from ..errors import UIError
from .client import DEFAULT_TIMEOUT, _check_timeout, _DeadlineHTTPHandler, _DeadlineHTTPSHandler

__all__ = ["LogClient", "LogPage"]

#: Bytes asked for per page (the logviewer's MAX_LENGTH is 1 MiB).
PAGE = 65_536
#: How far back :meth:`LogClient.tail` looks for its lines at most.
MAX_TAIL_BYTES = 8 * 1_048_576

_RANGE = re.compile(r'data-start="(\d+)" data-length="(\d+)" data-size="(\d+)"')
_CONTENT = re.compile(r'<pre id="logContent">(.*?)</pre>', re.S)


@dataclass(frozen=True)
class LogPage:
    start: int
    text: str
    length: int  # bytes of the file this page covers
    size: int | None  # the file's size when the page was read, if the logviewer says


class LogClient:
    """``LogClient("http://host:8000/api/v1/log?file=TOPO%2F6700%2Fworker.log")``: one log."""

    def __init__(self, log_url: str, timeout: float = DEFAULT_TIMEOUT) -> None:
        url = urllib.parse.urlsplit(log_url)
        query = urllib.parse.parse_qs(url.query)
        if url.scheme not in ("http", "https") or not url.netloc or not query.get("file"):
            raise UIError(f"{log_url!r} is not a logviewer log link (…/api/v1/log?file=…)")
        self.url = log_url
        self._base = urllib.parse.urlunsplit((url.scheme, url.netloc, url.path, "", ""))
        self.file = query["file"][0]
        self.timeout = _check_timeout(timeout)
        self._opener = urllib.request.build_opener(_DeadlineHTTPHandler, _DeadlineHTTPSHandler)

    def page(self, start: int | None, length: int = PAGE) -> LogPage:
        """The bytes ``[start, start+length)`` (``start`` None: the last ``length``)."""
        query = {"file": self.file, "length": str(length)}
        if start is not None:
            query["start"] = str(start)
        url = f"{self._base}?{urllib.parse.urlencode(query)}"
        try:
            with self._opener.open(url, timeout=self.timeout) as resp:
                body = resp.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as exc:
            detail = exc.read()[:300].decode("utf-8", "replace").strip()
            raise UIError(
                f"the logviewer answered {exc.code} to GET {url}{': ' + detail if detail else ''}"
            ) from exc
        except (
            urllib.error.URLError,
            TimeoutError,
            ConnectionError,
            http.client.HTTPException,
        ) as exc:
            reason = getattr(exc, "reason", exc)
            raise UIError(
                f"cannot read {self.file} from the logviewer at {self._base} ({reason}); is the "
                "logviewer running there (`sparse cluster status`)?"
            ) from exc
        found = _CONTENT.search(body)
        if found is None:
            raise UIError(f"the logviewer's page {url} has no log content (<pre id=logContent>)")
        text = html.unescape(found.group(1))
        meta = _RANGE.search(body)
        if meta is not None:
            return LogPage(int(meta[1]), text, int(meta[2]), int(meta[3]))
        return LogPage(start or 0, text, len(text.encode("utf-8")), None)

    def tail(self, lines: int) -> tuple[list[str], int]:
        """The last ``lines`` complete-or-not lines and the offset just after them."""
        length = PAGE
        while True:
            page = self.page(None, length)
            end = page.start + page.length
            found = page.text.splitlines()
            if lines == 0:
                return [], end
            if page.start == 0 or len(found) > lines or length >= MAX_TAIL_BYTES:
                return found[-lines:], end
            length = min(length * 4, MAX_TAIL_BYTES)

    def since(self, offset: int) -> tuple[str, int]:
        """Everything appended from ``offset`` (up to one page) and the new offset; a file
        that shrank (rotated, truncated) is read again from its start."""
        page = self.page(offset, PAGE)
        if page.size is not None and page.size < offset:
            page = self.page(0, PAGE)
        return page.text, page.start + page.length
