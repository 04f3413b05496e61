"""What both benchmarks share: paths, the reference virtualenv, machine facts, the doc."""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / ".bench"
DOC = ROOT / "docs" / "benchmarks.md"
STORMBRIDGE_VENV = ROOT / ".venv"

#: What the reference virtualenv holds. streamparse imports pkg_resources, which
#: setuptools 80 removed; the rest are the versions this benchmark was first run with.
REFERENCE_REQUIREMENTS = (
    "streamparse==5.0.1",
    "pystorm==3.1.4",
    "simplejson==4.3.0",
    "msgpack==1.2.4",
    "setuptools<80",
)
REFERENCE_VENV = BENCH_DIR / "venv-streamparse-5.0.1"


class BenchError(Exception):
    """Setting up or running the benchmark failed; the message says what to do."""


# --------------------------------------------------------------------------- environments


def ensure_reference_venv(log: Callable[[str], None]) -> Path:
    """Create (idempotently) the streamparse/pystorm virtualenv; return its directory."""
    stamp = REFERENCE_VENV / ".bench-requirements"
    wanted = "\n".join(REFERENCE_REQUIREMENTS) + "\n"
    if stamp.exists() and stamp.read_text() == wanted:
        return REFERENCE_VENV
    log(f"creating {REFERENCE_VENV.relative_to(ROOT)} with {' '.join(REFERENCE_REQUIREMENTS)}")
    if REFERENCE_VENV.exists():
        shutil.rmtree(REFERENCE_VENV)
    BENCH_DIR.mkdir(exist_ok=True)
    try:
        subprocess.run([sys.executable, "-m", "venv", str(REFERENCE_VENV)], check=True)
        subprocess.run(
            [
                str(REFERENCE_VENV / "bin" / "python"),
                "-m",
                "pip",
                "install",
                "-q",
                *REFERENCE_REQUIREMENTS,
            ],
            check=True,
            timeout=600,
        )
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as exc:
        raise BenchError(
            f"could not build the streamparse/pystorm virtualenv ({exc}); it needs PyPI "
            f"access. Remove {REFERENCE_VENV} and retry."
        ) from exc
    stamp.write_text(wanted)
    return REFERENCE_VENV


def venv_facts(venv: Path, dists: Sequence[str]) -> dict[str, str]:
    code = (
        "import sys, json, importlib.metadata as m\n"
        "out = {'python': sys.version.split()[0]}\n"
        "for d in sys.argv[1:]:\n"
        "    try: out[d] = m.version(d)\n"
        "    except m.PackageNotFoundError: out[d] = 'not installed'\n"
        "print(json.dumps(out))\n"
    )
    proc = subprocess.run(
        [str(venv / "bin" / "python"), "-c", code, *dists],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if proc.returncode != 0:
        return {"python": f"unknown ({proc.stderr.strip()[-200:]})"}
    facts: dict[str, str] = json.loads(proc.stdout)
    return facts


def machine_facts() -> dict[str, Any]:
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "kernel": platform.release(),
        "os": platform.platform(terse=True),
    }


def loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "n/a"


DOC_HEADER = """# Benchmarks

How fast stormbridge's Python side is compared with streamparse 5.0.1 / pystorm 3.1.4, the
runtime it replaces. Every figure below is produced by a script in `bench/` and rewritten by
it; do not edit between the markers by hand.

"""


def write_doc(section: str, start: str, end: str) -> None:
    """Replace the text between ``start`` and ``end`` in docs/benchmarks.md (or append it)."""
    text = DOC.read_text() if DOC.exists() else DOC_HEADER
    if start in text and end in text:
        before, rest = text.split(start, 1)
        after = rest.split(end, 1)[1]
        text = before + section.rstrip("\n") + after
    else:
        text = text.rstrip("\n") + "\n\n" + section
    DOC.parent.mkdir(parents=True, exist_ok=True)
    DOC.write_text(text)
