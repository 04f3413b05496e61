"""The wheels a deploy installs: built here from ``virtualenvs/<name>.txt``, or a ready folder.

By default the requirements (``virtualenvs/<virtualenv_name or topology>.txt``, or the files of
``-r``) become wheels on this machine once per requirements hash, with
:func:`stormbridge.build.wheels.build_wheelhouse` (``pip wheel``, a stormbridge wheel built from
the installed package when the requirements name stormbridge, orjson added). The workers then
install them offline, so they must run the same Python version and platform as this machine.

For other workers, fill a folder with wheels for their platform and pass it as ``--wheelhouse
DIR`` (docs/deploy.md: ``pip download --platform … --python-version … --only-binary=:all:``):
every ``*.whl`` in it is installed as is.
"""

from __future__ import annotations

import ensurepip
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ConfigError, DeployError

if TYPE_CHECKING:
    from ..build.wheels import Wheelhouse

__all__ = ["ReadyWheels", "collect_wheels", "ready_wheels", "requirements_path"]


@dataclass(frozen=True)
class ReadyWheels:
    """Wheels from a folder the user prepared (``--wheelhouse``)."""

    wheels: tuple[Path, ...]
    pip_wheel: Path
    digest: str
    cached: bool = True


def requirements_path(virtualenvs_dir: Path | None, name: str) -> Path:
    if virtualenvs_dir is None:
        raise ConfigError(
            f"installing the virtualenv {name!r} needs its requirements: add "
            '"virtualenv_specs": "virtualenvs/" to config.json and list the packages in '
            f"virtualenvs/{name}.txt (or pass -r FILE)"
        )
    path = virtualenvs_dir / f"{name}.txt"
    if not path.is_file():
        raise ConfigError(
            f"{path} does not exist: list the packages the workers need there, one per line "
            "(as for pip install -r; `stormbridge` is built from this machine), pass -r FILE, "
            "or set the env's install_virtualenv to false"
        )
    return path


def collect_wheels(
    requirements: Sequence[Path], *, cache_root: Path, build_dir: Path, name: str
) -> Wheelhouse:
    """The wheels of ``requirements`` (one file, or several joined into one under
    ``build_dir``), built or taken from the cache. Returns a ``Wheelhouse``."""
    from ..build.wheels import build_wheelhouse

    if not requirements:
        raise ConfigError("no requirements file given")
    for path in requirements:
        if not Path(path).is_file():
            raise ConfigError(f"requirements file {path} does not exist")
    if len(requirements) == 1:
        source = Path(requirements[0])
    else:
        build_dir.mkdir(parents=True, exist_ok=True)
        source = build_dir / f"requirements-{name}.txt"
        text = "".join(Path(p).read_text(encoding="utf-8") + "\n" for p in requirements)
        source.write_text(text, encoding="utf-8")
    return build_wheelhouse(source, cache_root)


def ready_wheels(folder: Path) -> ReadyWheels:
    """Every ``*.whl`` in ``folder``; pip's wheel from it, else the one this Python bundles."""
    if not folder.is_dir():
        raise ConfigError(f"--wheelhouse {folder} is not a folder of wheels")
    wheels = tuple(sorted(folder.glob("*.whl")))
    pips = [w for w in wheels if w.name.startswith("pip-")]
    others = tuple(w for w in wheels if not w.name.startswith("pip-"))
    if not others:
        raise DeployError(
            f"--wheelhouse {folder} holds no wheels: fill it with `pip download -r "
            "virtualenvs/NAME.txt --only-binary=:all: --platform ... --python-version ... -d "
            f"{folder}`"
        )
    if pips:
        pip_wheel = pips[-1]
    else:
        bundled = sorted((Path(ensurepip.__file__).parent / "_bundled").glob("pip-*.whl"))
        if not bundled:
            raise DeployError(
                f"--wheelhouse {folder} has no pip wheel and this Python bundles none: "
                f"add one with `pip download pip --no-deps -d {folder}`"
            )
        pip_wheel = bundled[-1]
    digest = hashlib.sha256()
    for wheel in others:
        digest.update(f"{wheel.name}\0{hashlib.sha256(wheel.read_bytes()).hexdigest()}\n".encode())
    return ReadyWheels(others, pip_wheel, digest.hexdigest()[:20])
