"""Run streamparse's and pystorm's own test suites against stormbridge's compatibility packages.

    .venv/bin/python bench/peer_suites.py            # download, unpack, run, print the counts
    .venv/bin/python bench/peer_suites.py --verbose  # also each failing test's last error line

The sdists of streamparse 5.0.1 and pystorm 3.1.4 are downloaded with pip (kept in
``.bench/peer/``), unpacked into a temporary folder, and their ``streamparse``/``pystorm``
packages deleted, so that ``import streamparse`` and ``import pystorm`` in their tests find
ours. The tests run with pytest in a virtualenv of their own (``.bench/venv-peer-suites``)
holding this checkout (editable) and the suites' test dependencies. Nothing of theirs is copied
into this repository; docs/compatibility.md records the counts and why each remaining failure
tests an internal of the original implementation.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tarfile
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / ".bench"
PEER_DIR = BENCH_DIR / "peer"
VENV = BENCH_DIR / "venv-peer-suites"
SUITES = {"streamparse": "5.0.1", "pystorm": "3.1.4"}
#: What the suites import besides the packages under test (their setup.py tests_require, and
#: simplejson which pystorm's serializer tests import directly).
TEST_REQUIREMENTS = ("pytest>=8", "pytest-timeout", "graphviz", "simplejson", "msgpack")


@dataclass
class SuiteResult:
    name: str
    passed: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)
    skipped: int = 0

    @property
    def total(self) -> int:
        return self.passed + len(self.failed) + len(self.errors) + self.skipped


def _run(argv: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, check=False, text=True, capture_output=True, **kwargs)  # type: ignore[call-overload]


def _check(proc: subprocess.CompletedProcess[str], what: str) -> None:
    if proc.returncode != 0:
        sys.exit(f"peer_suites: {what} failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}")


def download_sdists() -> dict[str, Path]:
    """The two sdists, downloaded once with pip into .bench/peer/."""
    PEER_DIR.mkdir(parents=True, exist_ok=True)
    found = {n: PEER_DIR / f"{n}-{v}.tar.gz" for n, v in SUITES.items()}
    if not all(p.is_file() for p in found.values()):
        specs = [f"{n}=={v}" for n, v in SUITES.items()]
        argv = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:"]
        _check(_run([*argv, *specs, "-d", str(PEER_DIR)]), "pip download of the sdists")
    return found


def ensure_venv() -> Path:
    """A virtualenv with this checkout installed (editable) and the suites' test deps."""
    python = VENV / "bin" / "python"
    if not python.exists():
        _check(_run([sys.executable, "-m", "venv", str(VENV)]), "creating the virtualenv")
        pip = [str(python), "-m", "pip", "install", "-q"]
        _check(_run([*pip, "--upgrade", "pip"]), "upgrading pip")
        _check(_run([*pip, *TEST_REQUIREMENTS]), "installing the test requirements")
    # Always refresh the checkout: the metadata (console scripts) may have changed.
    install = [str(python), "-m", "pip", "install", "-q", "--no-deps", "-e", str(ROOT)]
    _check(_run(install), "installing stormbridge")
    deps = [str(python), "-m", "pip", "install", "-q", "-e", str(ROOT)]
    _check(_run(deps), "installing stormbridge's dependencies")
    return python


def unpack(sdist: Path, into: Path, package: str) -> Path:
    """Unpack ``sdist`` and delete its own package, keeping its tests; the unpacked root."""
    with tarfile.open(sdist) as archive:
        archive.extractall(into, filter="data")
    root = into / sdist.name.removesuffix(".tar.gz")
    shutil.rmtree(root / package)
    for egg_info in root.glob("*.egg-info"):
        shutil.rmtree(egg_info)
    return root


def run_suite(python: Path, root: Path, name: str) -> SuiteResult:
    """pytest over the suite's test/ folder, from its root (as its authors ran it)."""
    report = root / "junit.xml"
    argv = [
        str(python),
        "-m",
        "pytest",
        "test",
        "-q",
        "-p",
        "no:cacheprovider",
        "--timeout",
        "60",
        "-o",
        "addopts=",
        "--continue-on-collection-errors",
        f"--junitxml={report}",
    ]
    proc = _run(argv, cwd=root)
    if not report.exists():
        sys.exit(f"peer_suites: pytest wrote no report for {name}:\n{proc.stdout[-3000:]}")
    result = SuiteResult(name)
    for case in ET.parse(report).getroot().iter("testcase"):
        test_id = f"{case.get('classname')}::{case.get('name')}"
        failure = case.find("failure")
        error = case.find("error")
        if failure is not None:
            result.failed.append((test_id, _last_line(failure)))
        elif error is not None:
            result.errors.append((test_id, _last_line(error)))
        elif case.find("skipped") is not None:
            result.skipped += 1
        else:
            result.passed += 1
    return result


def _last_line(node: ET.Element) -> str:
    text = (node.get("message") or node.text or "").strip()
    return text.splitlines()[0][:200] if text else ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--verbose", action="store_true", help="print every failing test")
    args = parser.parse_args(argv)
    sdists = download_sdists()
    python = ensure_venv()
    results = []
    with tempfile.TemporaryDirectory(prefix="stormbridge-peer-") as tmp:
        for name in SUITES:
            root = unpack(sdists[name], Path(tmp), name)
            results.append(run_suite(python, root, name))
    for result in results:
        print(
            f"{result.name} {SUITES[result.name]}: {result.passed}/{result.total} passed, "
            f"{len(result.failed)} failed, {len(result.errors)} errors, {result.skipped} skipped"
        )
        if args.verbose or len(result.failed) + len(result.errors) <= 30:
            for test_id, line in [*result.failed, *result.errors]:
                print(f"  FAIL {test_id}: {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
