"""Storm's JsonSerializer against stormbridge's FastJsonSerializer, in one JVM, no Storm running.

``.venv/bin/python bench/serializer.py [ROUNDS]`` writes 40,000 frames as a word-count bolt
sends them (an anchored emit and an ack per tuple, encoded by stormbridge's runtime codec), then
runs ``tests/unit/storm/java/MultilangHarness.java bench`` for each serializer, alternating, three
times: each round reads every frame with ``readShellMsg`` and writes as many word-count tuples
with ``writeBoltMsg`` into memory. Prints the thread CPU time per message (the second half of the
rounds, after the JIT warmed up) and the ratios.
"""

from __future__ import annotations

import io
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HARNESS = ROOT / "tests" / "unit" / "storm" / "java" / "MultilangHarness.java"


def main(argv: list[str]) -> int:
    from stormbridge.runtime.protocol import make_codec
    from stormbridge.storm.home import resolve_home
    from stormbridge.storm.javac import compile_java
    from stormbridge.storm.multilang import SERIALIZER_CLASS, STOCK_SERIALIZER, serializer_jar

    rounds = argv[0] if argv else "40"
    home = resolve_home()
    jar = serializer_jar(home)
    classes = compile_java(
        [HARNESS],
        classpath=f"{jar}:{home.lib_worker / '*'}",
        name="multilang-harness",
        what="the multilang harness",
    )
    codec = make_codec("json", io.BytesIO(), io.BytesIO())
    frames = []
    for i in range(20000):
        tup_id = str(-6955565822418862353 + i)
        frames.append(
            codec.encode(
                {
                    "command": "emit",
                    "anchors": [tup_id],
                    "tuple": ["elephant", i],
                    "need_task_ids": False,
                }
            )
        )
        frames.append(codec.encode({"command": "ack", "id": tup_id}))
    results: dict[str, list[tuple[float, float]]] = {STOCK_SERIALIZER: [], SERIALIZER_CLASS: []}
    with tempfile.NamedTemporaryFile(suffix=".frames") as data:
        data.write(b"".join(frames))
        data.flush()
        for _ in range(3):
            for cls in results:
                classpath = f"{classes}:{jar}:{home.lib_worker / '*'}"
                out = subprocess.run(
                    ["java", "-cp", classpath, "MultilangHarness", "bench", cls, rounds, data.name],
                    capture_output=True,
                    text=True,
                    check=True,
                )
                read_ns, write_ns = (float(x) for x in out.stdout.split())
                results[cls].append((read_ns, write_ns))
    load = Path("/proc/loadavg").read_text().split()[:3]
    print(f"load average {' '.join(load)}; thread CPU ns per message, median of 3 JVMs:")
    med = {
        cls: (statistics.median(r for r, _ in v), statistics.median(w for _, w in v))
        for cls, v in results.items()
    }
    for cls, (r, w) in med.items():
        print(f"  {cls:45s} readShellMsg {r:6.0f} ns   writeBoltMsg {w:6.0f} ns")
    (sr, sw), (or_, ow) = med[STOCK_SERIALIZER], med[SERIALIZER_CLASS]
    print(f"  ratio stock / ours: read {sr / or_:.2f}x, write {sw / ow:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
