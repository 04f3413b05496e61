"""Every doc and help text that names the provisioned Storm names the pinned release."""

from __future__ import annotations

import re
from pathlib import Path

from stormbridge.storm import DEFAULT_STORM_VERSION

ROOT = Path(__file__).resolve().parents[3]

# "Storm 2.8.3", "Apache Storm 2.8.3", "Storm v2.8.3"; older lines named on purpose
# (e.g. what a user upgrades from) say so with the word "from" or "on" before them.
_NAMED = re.compile(r"(?<!from )(?<!on )(?:Apache )?Storm v?(2\.\d+\.\d+)")


def _texts() -> list[Path]:
    files = [ROOT / "Makefile", ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    files += sorted((ROOT / "stormbridge" / "cli").rglob("*.py"))
    files += sorted((ROOT / "stormbridge" / "cli" / "templates").rglob("*.tmpl"))
    return files


def test_docs_and_help_name_the_pinned_storm() -> None:
    wrong = [
        f"{path.relative_to(ROOT)}: Storm {version}"
        for path in _texts()
        for version in _NAMED.findall(path.read_text())
        if version != DEFAULT_STORM_VERSION
    ]
    assert not wrong, f"name Storm {DEFAULT_STORM_VERSION}, the release provisioned:\n" + "\n".join(
        wrong
    )


def test_make_help_names_the_pinned_storm() -> None:
    help_line = next(
        line for line in (ROOT / "Makefile").read_text().splitlines() if line.startswith("storm:")
    )
    assert f"Storm {DEFAULT_STORM_VERSION}" in help_line
