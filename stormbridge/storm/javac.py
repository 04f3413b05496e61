"""Java sources of stormbridge compiled once with ``javac`` and cached by content.

:func:`compile_java` is the one place that runs ``javac``: the local-mode runner
(``local/java/LocalRunner.java``) and the multilang serializer (``java/multilang/``) are
compiled through it. The classes land in ``<cache>/<name>/<key>/``, where the key hashes the
sources and whatever else the caller says the classes depend on (the Storm version and home):
a changed source or another Storm compiles afresh, anything else is a directory lookup.
The directory appears atomically (compiled into a temporary sibling, then renamed), so
concurrent builds never see half a tree.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
import zipfile
from collections.abc import Sequence
from pathlib import Path

from ..errors import StormHomeError
from .home import default_cache_root

__all__ = ["JDK_HINT", "compile_java", "find_javac", "jar_classes"]

JDK_HINT = "install it with `make system-deps` (or `apt-get install openjdk-17-jdk-headless`)"
_DONE = ".compiled"
_FIXED_DATE_TIME = (1980, 1, 1, 0, 0, 0)


def find_javac(java: str | None = None, *, what: str = "this") -> str:
    """``javac`` next to ``java`` (the JDK of that JVM), else on PATH; raises
    :class:`StormHomeError` naming ``what`` needed it when there is none."""
    candidates = []
    if java:
        candidates.append(Path(java).resolve().parent / "javac")
    which = shutil.which("javac")
    if which:
        candidates.append(Path(which))
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    raise StormHomeError(
        f"javac (a Java 17 JDK, not only a JRE) is needed to build {what}; {JDK_HINT}"
    )


def compile_java(
    sources: Sequence[Path],
    *,
    classpath: str,
    name: str,
    depends_on: Sequence[str] = (),
    what: str,
    java: str | None = None,
    cache_root: Path | None = None,
    timeout: float = 300.0,
) -> Path:
    """The directory of classes compiled from ``sources`` against ``classpath``.

    ``name`` is the cache folder, ``depends_on`` extra strings of the cache key (e.g. the
    Storm version and home), ``what`` names the classes in error messages.
    """
    digest = hashlib.sha256()
    for source in sorted(sources):
        digest.update(source.name.encode() + b"\0" + source.read_bytes() + b"\0")
    for part in depends_on:
        digest.update(part.encode() + b"\0")
    key = digest.hexdigest()[:16]
    root = (cache_root or default_cache_root()) / name
    dest = root / key
    if (dest / _DONE).is_file():
        return dest
    javac = find_javac(java, what=what)
    root.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f"{key}.", dir=root))
    argv = [javac, "--release", "17", "-nowarn", "-encoding", "UTF-8", "-d", str(work)]
    argv += ["-cp", classpath, *(str(s) for s in sorted(sources))]
    try:
        try:
            result = subprocess.run(
                argv,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise StormHomeError(f"javac did not finish within {timeout:g} s") from exc
        except OSError as exc:
            raise StormHomeError(f"cannot run {javac}: {exc.strerror or exc}") from exc
        if result.returncode != 0:
            raise StormHomeError(
                f"compiling {what} against {classpath} failed (is the Storm home complete? "
                f"`sparse cluster provision`):\n{result.stderr.strip()[-2000:]}"
            )
        (work / _DONE).write_text("")
        try:
            work.rename(dest)
        except OSError:
            if not (dest / _DONE).is_file():  # another process won the race: theirs is as good
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return dest


def jar_classes(classes: Path, jar_name: str) -> Path:
    """``classes/<jar_name>``: every ``.class`` under ``classes`` in a jar (made once; the
    entries sorted and dated 1980, so the bytes depend on the classes only)."""
    jar = classes / jar_name
    if jar.is_file():
        return jar
    tmp = classes / f".{jar_name}.{os.getpid()}.tmp"
    try:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for path in sorted(classes.rglob("*.class")):
                info = zipfile.ZipInfo(path.relative_to(classes).as_posix(), _FIXED_DATE_TIME)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o100644 << 16
                zf.writestr(info, path.read_bytes())
        tmp.replace(jar)
    except OSError as exc:
        raise StormHomeError(f"cannot write {jar}: {exc.strerror or exc}") from exc
    finally:
        tmp.unlink(missing_ok=True)
    return jar
