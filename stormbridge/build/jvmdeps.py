"""Extra JVM jars for a topology, declared the Leiningen way in ``project.clj``.

stormbridge builds the topology jar itself, so ``project.clj`` is optional. Keep it when a
topology needs JVM code on the workers (a Kafka spout, a custom serializer): its
``:dependencies`` (minus Storm itself and anything ``:scope "provided"``/``"test"``) are
resolved by Maven through a throw-away ``pom.xml`` in which ``storm-client`` is declared
``provided`` first, so Storm and everything it already brings to the worker stay out. The
resulting jars go to :func:`stormbridge.build.jar.build_jar` as ``extra_jars``.

Resolution is cached under ``<project>/_build/jvm-deps/<hash of the pom>/``: a second
build with the same dependencies does not run Maven. Only the data subset of Clojure that
``project.clj`` files use is read; nothing is evaluated.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from ..errors import JarError

__all__ = [
    "STORM_PROVIDED_ARTIFACTS",
    "MavenDependency",
    "ProjectClj",
    "extra_dependencies",
    "parse_clojure",
    "read_project_clj",
    "render_pom",
    "resolve_jvm_jars",
    "resolve_maven_jars",
]

#: Storm artifacts every worker already has: never merged into the topology jar.
STORM_PROVIDED_ARTIFACTS = frozenset(
    {"storm-core", "storm-client", "storm-server", "storm-webapp", "storm-shaded-deps"}
)


class Keyword(str):
    """A Clojure keyword, without its colon."""


class Symbol(str):
    """A Clojure symbol."""


class CljList(list[Any]):
    """A Clojure list ``( … )`` (vectors are plain Python lists)."""


class Regex(str):
    """A Clojure regex literal ``#"…"``."""


class _Unevaluated:
    """A form stormbridge does not evaluate (``~expr``): an error if it reaches a value."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return f"{self.text}…"


_TOKEN_RE = re.compile(
    r"""
    (?P<ws>[\s,]+)
  | (?P<comment>;[^\n]*)
  | (?P<string>"(?:\\.|[^"\\])*")
  | (?P<regex>\#"(?:\\.|[^"\\])*")
  | (?P<open>\#\{|[\[({])
  | (?P<close>[\])}])
  | (?P<discard>\#_)
  | (?P<meta>\^)
  | (?P<quote>'|`|~@|~|@)
  | (?P<atom>[^\s,;"()\[\]{}]+)
    """,
    re.VERBOSE,
)
_CLOSERS = {"[": "]", "(": ")", "{": "}", "#{": "}"}
_STRING_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN_RE.match(text, pos)
        if match is None:
            line = text.count("\n", 0, pos) + 1
            raise JarError(f"project.clj line {line}: cannot read {text[pos : pos + 20]!r}")
        kind = match.lastgroup
        assert kind is not None
        if kind not in ("ws", "comment"):
            out.append((kind, match.group()))
        pos = match.end()
    return out


def _atom(text: str) -> Any:
    if text.startswith(":"):
        return Keyword(text[1:])
    if text in ("nil", "true", "false"):
        return {"nil": None, "true": True, "false": False}[text]
    if re.fullmatch(r"[+-]?\d+", text):
        return int(text)
    if re.fullmatch(r"[+-]?\d+\.\d*(?:[eE][+-]?\d+)?", text):
        return float(text)
    return Symbol(text)


def parse_clojure(text: str) -> list[Any]:
    """Read every top-level form of ``text`` (data only: nothing is evaluated)."""
    tokens = _tokens(text)
    pos = 0

    def read() -> Any:
        nonlocal pos
        if pos >= len(tokens):
            raise JarError("project.clj ends in the middle of a form: check the brackets")
        kind, value = tokens[pos]
        pos += 1
        if kind == "string":
            body = value[1:-1]
            return re.sub(r"\\(.)", lambda m: _STRING_ESCAPES.get(m.group(1), m.group(1)), body)
        if kind == "regex":
            return Regex(value[2:-1])
        if kind == "atom":
            return _atom(value)
        if kind == "discard":
            read()
            return read()
        if kind == "meta":
            read()
            return read()
        if kind == "quote":
            form = read()
            return _Unevaluated(value) if value.startswith("~") else form
        if kind == "close":
            raise JarError(f"project.clj has an unexpected {value!r}: check the brackets")
        closer = _CLOSERS[value]
        items: list[Any] = []
        while True:
            if pos >= len(tokens):
                raise JarError(f"project.clj has an unclosed {value!r}: check the brackets")
            if tokens[pos] == ("close", closer):
                pos += 1
                break
            items.append(read())
        if value == "(":
            return CljList(items)
        if value == "{":
            if len(items) % 2:
                raise JarError("project.clj has a map with an odd number of forms")
            return {_hashable(k): v for k, v in zip(items[::2], items[1::2], strict=True)}
        return items  # vectors and sets

    forms = []
    while pos < len(tokens):
        forms.append(read())
    return forms


def _hashable(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


@dataclass(frozen=True)
class MavenDependency:
    group: str
    artifact: str
    version: str
    scope: str = "compile"
    classifier: str | None = None
    extension: str = "jar"
    exclusions: tuple[tuple[str, str], ...] = ()

    @property
    def coordinates(self) -> str:
        return f"{self.group}:{self.artifact}:{self.version}"


@dataclass(frozen=True)
class ProjectClj:
    name: str
    version: str
    dependencies: tuple[MavenDependency, ...]
    repositories: tuple[tuple[str, str], ...]


def _split_symbol(sym: Any, where: str) -> tuple[str, str]:
    if not isinstance(sym, str) or isinstance(sym, Keyword):
        raise JarError(f"project.clj {where}: expected group/artifact, found {sym!r}")
    group, _, artifact = str(sym).partition("/")
    return group, artifact or group


def _options(items: Sequence[Any], where: str) -> dict[str, Any]:
    if len(items) % 2:
        raise JarError(f"project.clj {where}: options must come in :key value pairs")
    options: dict[str, Any] = {}
    for key, value in zip(items[::2], items[1::2], strict=True):
        if not isinstance(key, Keyword):
            raise JarError(f"project.clj {where}: expected a :keyword, found {key!r}")
        options[str(key)] = value
    return options


def _value(value: Any, where: str) -> Any:
    if isinstance(value, _Unevaluated):
        raise JarError(
            f"project.clj {where}: {value.text}… is code that stormbridge does not "
            "evaluate; write the value out"
        )
    return value


def _dependency(form: Any) -> MavenDependency:
    if not isinstance(form, list) or len(form) < 2:
        raise JarError(
            f'project.clj :dependencies: expected [group/artifact "version" …], found {form!r}'
        )
    group, artifact = _split_symbol(form[0], ":dependencies")
    where = f":dependencies [{form[0]} …]"
    version = _value(form[1], where)
    if not isinstance(version, str) or isinstance(version, (Symbol, Keyword)):
        raise JarError(f"project.clj {where}: the version must be a string, found {version!r}")
    options = {k: _value(v, f"{where} :{k}") for k, v in _options(form[2:], where).items()}
    exclusions = []
    for item in options.get("exclusions") or []:
        sym = item[0] if isinstance(item, list) and item else item
        exclusions.append(_split_symbol(sym, f"{where} :exclusions"))
    return MavenDependency(
        group=group,
        artifact=artifact,
        version=str(version),
        scope=str(options.get("scope") or "compile"),
        classifier=options.get("classifier"),
        extension=str(options.get("extension") or "jar"),
        exclusions=tuple(exclusions),
    )


def _repositories(value: Any) -> tuple[tuple[str, str], ...]:
    pairs = list(value.items()) if isinstance(value, dict) else [tuple(v) for v in value or []]
    out = []
    for pair in pairs:
        if len(pair) != 2:
            raise JarError(f'project.clj :repositories: expected ["id" "url"], found {pair!r}')
        repo_id, spec = pair
        url = spec.get(Keyword("url")) if isinstance(spec, dict) else spec
        if not isinstance(url, str):
            raise JarError(f"project.clj :repositories {repo_id!r}: no :url")
        out.append((str(repo_id), url))
    return tuple(out)


def read_project_clj(path: Path) -> ProjectClj:
    """Read the ``defproject`` form of ``path``."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise JarError(f"cannot read {path}: {exc.strerror or exc}") from exc
    for form in parse_clojure(text):
        if isinstance(form, CljList) and form and form[0] == Symbol("defproject"):
            if len(form) < 3:
                raise JarError(f'{path}: (defproject name "version" …) is incomplete')
            options = _options(form[3:], "defproject")
            deps = tuple(
                _dependency(_value(d, ":dependencies"))
                for d in _value(options.get("dependencies"), ":dependencies") or []
            )
            repos = _repositories(_value(options.get("repositories"), ":repositories"))
            return ProjectClj(str(form[1]), str(form[2]), deps, repos)
    raise JarError(f"{path} has no (defproject …) form")


def extra_dependencies(project: ProjectClj) -> list[MavenDependency]:
    """The dependencies to put into the topology jar: not Storm itself, not provided/test."""
    return [
        dep
        for dep in project.dependencies
        if dep.scope not in ("provided", "test", "system")
        and not (dep.group == "org.apache.storm" and dep.artifact in STORM_PROVIDED_ARTIFACTS)
    ]


def _dependency_xml(dep: MavenDependency) -> str:
    parts = [
        f"<groupId>{escape(dep.group)}</groupId>",
        f"<artifactId>{escape(dep.artifact)}</artifactId>",
        f"<version>{escape(dep.version)}</version>",
    ]
    if dep.extension != "jar":
        parts.append(f"<type>{escape(dep.extension)}</type>")
    if dep.classifier:
        parts.append(f"<classifier>{escape(dep.classifier)}</classifier>")
    parts.append(f"<scope>{escape(dep.scope)}</scope>")
    if dep.exclusions:
        exclusions = "".join(
            f"<exclusion><groupId>{escape(g)}</groupId><artifactId>{escape(a)}</artifactId>"
            "</exclusion>"
            for g, a in dep.exclusions
        )
        parts.append(f"<exclusions>{exclusions}</exclusions>")
    return "    <dependency>" + "".join(parts) + "</dependency>\n"


def render_pom(
    dependencies: Sequence[MavenDependency],
    *,
    storm_version: str | None,
    repositories: Sequence[tuple[str, str]] = (),
) -> str:
    """A throw-away ``pom.xml``: storm-client ``provided`` first (unless ``storm_version`` is
    None), then ``dependencies``."""
    provided = (
        [MavenDependency("org.apache.storm", "storm-client", storm_version, scope="provided")]
        if storm_version is not None
        else []
    )
    deps = "".join(_dependency_xml(d) for d in (*provided, *dependencies))
    # Maven Central is always searched; Leiningen's implicit Clojars is not (declare it in
    # :repositories if a dependency lives there).
    repos = "".join(
        f"    <repository><id>{escape(i)}</id><url>{escape(u)}</url></repository>\n"
        for i, u in repositories
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<project xmlns="http://maven.apache.org/POM/4.0.0">\n'
        "  <modelVersion>4.0.0</modelVersion>\n"
        "  <groupId>stormbridge.generated</groupId>\n"
        "  <artifactId>topology-jvm-deps</artifactId>\n"
        "  <version>0</version>\n"
        "  <packaging>pom</packaging>\n"
        f"  <repositories>\n{repos}  </repositories>\n"
        f"  <dependencies>\n{deps}  </dependencies>\n"
        "</project>\n"
    )


def resolve_jvm_jars(
    project_dir: Path,
    *,
    storm_version: str,
    cache_dir: Path | None = None,
    mvn: str = "mvn",
    timeout: float = 900.0,
) -> list[Path]:
    """The extra jars ``project_dir/project.clj`` asks for, in Maven's classpath order.

    Returns ``[]`` without running anything when there is no ``project.clj`` or it declares
    nothing beyond Storm. Raises :class:`JarError` if Maven is missing or fails.
    """
    clj = Path(project_dir) / "project.clj"
    if not clj.is_file():
        return []
    project = read_project_clj(clj)
    deps = extra_dependencies(project)
    if not deps:
        return []
    return resolve_maven_jars(
        deps,
        storm_version=storm_version,
        cache_dir=cache_dir if cache_dir is not None else Path(project_dir) / "_build" / "jvm-deps",
        repositories=project.repositories,
        mvn=mvn,
        timeout=timeout,
        what="the project.clj dependencies",
        fallback="or build those jars yourself and pass them with --extra-jar",
    )


def resolve_maven_jars(
    deps: Sequence[MavenDependency],
    *,
    storm_version: str | None,
    cache_dir: Path,
    repositories: Sequence[tuple[str, str]] = (),
    mvn: str = "mvn",
    timeout: float = 900.0,
    what: str,
    fallback: str = "",
) -> list[Path]:
    """The jars of ``deps`` and their runtime dependencies, in Maven's classpath order.

    With a ``storm_version``, ``storm-client`` is declared ``provided`` first, so Storm and what
    it brings to the workers stay out. Resolution is cached under ``cache_dir/<hash of the
    pom>/``. ``what`` names the dependencies in errors, ``fallback`` says what else a user can
    do without Maven. Raises :class:`JarError` if Maven is missing or fails.
    """
    pom = render_pom(deps, storm_version=storm_version, repositories=repositories)
    key = hashlib.sha256(pom.encode()).hexdigest()[:16]
    work = Path(cache_dir) / key
    classpath_file = work / "classpath.txt"
    if classpath_file.is_file():
        jars = _read_classpath(classpath_file)
        if all(jar.is_file() for jar in jars):
            return jars
    try:
        work.mkdir(parents=True, exist_ok=True)
        (work / "pom.xml").write_text(pom, encoding="utf-8")
    except OSError as exc:
        raise JarError(f"cannot write {work}/pom.xml: {exc.strerror or exc}") from exc
    wanted = ", ".join(d.coordinates for d in deps)
    executable = shutil.which(mvn)
    if executable is None:
        raise JarError(
            f"{what} ({wanted}) come from Maven Central, but Maven (`{mvn}`) is not on PATH: "
            f"install it (`make system-deps`){', ' + fallback if fallback else ''}"
        )
    command = [
        executable,
        "-B",
        "-q",
        "-f",
        str(work / "pom.xml"),
        "dependency:build-classpath",
        "-DincludeScope=runtime",
        f"-Dmdep.outputFile={classpath_file}",
    ]
    try:
        result = subprocess.run(
            command, capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise JarError(
            f"Maven did not resolve {what} within {timeout:g} s; "
            f"retry, or run `{' '.join(command)}` to see why"
        ) from exc
    if result.returncode != 0 or not classpath_file.is_file():
        tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-15:])
        raise JarError(
            f"Maven could not resolve {what} ({wanted}); check the coordinates and "
            f"repositories. Maven said:\n{tail}"
        )
    return _read_classpath(classpath_file)


def _read_classpath(path: Path) -> list[Path]:
    text = path.read_text(encoding="utf-8").strip()
    return [Path(p) for p in text.split(":") if p] if text else []
