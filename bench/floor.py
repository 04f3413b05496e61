"""A reference floor: the word count written straight against the pipe, no framework.

``python bench/floor.py bolt|spout`` speaks the multilang JSON protocol with the least
Python work per tuple its author could think of (orjson when installed, one big read and
one write per batch, the counting inlined). The component benchmark runs it next to the
two runtimes to show how much of a runtime's cost per tuple is the runtime itself and
how much is the pipe, the interpreter and the encoding. It is not a component API.
"""

from __future__ import annotations

import json
import os
import sys
from collections import Counter
from collections.abc import Callable
from typing import Any


def _codec() -> tuple[Callable[[Any], bytes], Callable[[bytes], Any]]:
    try:
        import orjson
    except ImportError:  # pragma: no cover - depends on the environment
        return (lambda obj: json.dumps(obj, separators=(",", ":")).encode()), json.loads
    return orjson.dumps, orjson.loads


dumps, loads = _codec()
END = b"\nend\n"


def _frames(fd: int) -> Any:
    buf = b""
    while True:
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            return
        parts = (buf + chunk).split(END)
        buf = parts.pop()
        yield parts


def _handshake(fd_in: int, fd_out: int) -> Any:
    frames = _frames(fd_in)
    first = next(frames)
    msg = loads(first[0])
    pid = os.getpid()
    open(os.path.join(msg["pidDir"], str(pid)), "w").close()
    os.write(fd_out, dumps({"pid": pid}) + END)
    return frames, first[1:]


def bolt(fd_in: int, fd_out: int) -> None:
    frames, early = _handshake(fd_in, fd_out)
    counter: Counter[str] = Counter()
    sync = b'{"command":"sync"}' + END
    pending = [early]
    for parts in frames:
        pending.append(parts)
        out = []
        for batch in pending:
            for raw in batch:
                if not raw:
                    continue
                t = loads(raw)
                tid = t["id"]
                if t["task"] == -1 and t["stream"] == "__heartbeat":
                    out.append(sync)
                    continue
                word = t["tuple"][0]
                counter[word] += 10 if word == "dog" else 1
                out.append(
                    b'{"command":"emit","anchors":["%s"],"tuple":%s,"need_task_ids":false}\nend\n'
                    b'{"command":"ack","id":"%s"}\nend\n'
                    % (tid.encode(), dumps([word, counter[word]]), tid.encode())
                )
        pending = []
        if out:
            os.write(fd_out, b"".join(out))


def spout(fd_in: int, fd_out: int) -> None:
    frames, early = _handshake(fd_in, fd_out)
    words = ["dog", "cat", "zebra", "elephant"]
    sync = b'{"command":"sync"}' + END
    i = 0
    pending = [early]
    for parts in frames:
        pending.append(parts)
        out = []
        for batch in pending:
            for raw in batch:
                if not raw:
                    continue
                if loads(raw)["command"] == "next":
                    out.append(
                        b'{"command":"emit","tuple":["%s"],"need_task_ids":false}\nend\n'
                        % words[i % 4].encode()
                    )
                    i += 1
                out.append(sync)
        pending = []
        if out:
            os.write(fd_out, b"".join(out))


if __name__ == "__main__":
    {"bolt": bolt, "spout": spout}[sys.argv[1]](sys.stdin.fileno(), sys.stdout.fileno())
