"""Storm's worker logs on the worker hosts, over SSH: ``sparse tail`` and ``sparse remove_logs``.

A supervisor writes each worker's log (which carries the Python components' log lines: they
reach Storm as multilang ``log`` messages) to ``<storm.log.dir>/workers-artifacts/<topology
id>/<port>/worker.log``; topology ids are ``<name>-<counter>-<timestamp>``. The log folder is the
env's ``log.path`` when set (as streamparse), else read on each host from the command line
(``-Dstorm.log.dir=…``) of a Storm process in the same network namespace, so hosts with
different folders work.

The remote scripts are built here from :func:`shlex.quote`-d values only; the topology name
is also escaped for ``find -path`` (``*?[`` match literally), and ``--pattern`` is an
extended regular expression (``grep -E``) on the log files' paths, as streamparse's.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass

__all__ = ["LogQuery", "remove_script", "tail_script"]


@dataclass(frozen=True)
class LogQuery:
    """Which log files: the topology's (by name), filtered by ``pattern``, under ``log_dir``."""

    topology: str
    log_dir: str | None = None
    pattern: str | None = None

    def find(self) -> str:
        """Shell lines that ``cd`` into the log folder and set ``$files`` to the newline-
        separated list of matching log files (or exit non-zero saying why)."""
        q = shlex.quote
        name = _glob_escape(self.topology)
        # a Storm process of this host: same network namespace as this shell (on one machine
        # with namespaced hosts, every host's processes are visible to ps)
        detect = (
            "for p in $(pgrep -f -- '-Dstorm.log.dir='); do "
            'if [ "$(readlink /proc/$p/ns/net)" = "$(readlink /proc/$$/ns/net)" ]; then '
            "tr '\\0' '\\n' < /proc/$p/cmdline | grep -m 1 '^-Dstorm.log.dir=' | cut -d= -f2-; "
            "break; fi; done"
        )
        lines = [
            f"dir={q(self.log_dir or '')}",
            f'if [ -z "$dir" ]; then dir=$({detect}); fi',
            'if [ -z "$dir" ]; then echo "no storm.log.dir: no supervisor runs on this host '
            "(or set the env's log.path)\" >&2; exit 3; fi",
            'if ! cd "$dir/workers-artifacts" 2>/dev/null; then echo "no worker logs under '
            '$dir/workers-artifacts (has a worker of the topology run on this host?)" >&2; '
            "exit 4; fi",
            f"files=$(find . -path {q('./' + name + '-*')} -type f -name '*.log*' | sort"
            + (f" | grep -E -- {q(self.pattern)}" if self.pattern else "")
            + ")",
        ]
        return "\n".join(lines)

    def artifacts(self) -> str:
        """Shell that sets ``$dirs`` to the topology's ``workers-artifacts`` folders."""
        name = _glob_escape(self.topology)
        return f"dirs=$(find . -maxdepth 1 -type d -name {shlex.quote(name + '-*')})"


def _glob_escape(text: str) -> str:
    return "".join("\\" + c if c in "*?[]\\" else c for c in text)


def tail_script(query: LogQuery, *, lines: int = 10, follow: bool = False) -> str:
    """The last ``lines`` lines of each matching log (``tail -F`` with ``follow``)."""
    if lines < 0:
        raise ValueError("lines must be 0 or more")
    flag = " -F" if follow else ""
    return "\n".join(
        [
            query.find(),
            'if [ -z "$files" ]; then echo "no log files of this topology here" >&2; exit 5; fi',
            f'printf "%s\\n" "$files" | tr "\\n" "\\0" | xargs -0 tail -n {int(lines)}{flag} --',
        ]
    )


def remove_script(query: LogQuery, *, all_artifacts: bool = False) -> str:
    """Remove the matching log files (with ``all_artifacts``: the topology's whole
    ``workers-artifacts`` folders); prints how many files/folders went."""
    if all_artifacts:
        return "\n".join(
            [
                query.find(),
                query.artifacts(),
                'n=$(printf "%s" "$dirs" | grep -c . || true)',
                'if [ -n "$dirs" ]; then printf "%s\\n" "$dirs" | tr "\\n" "\\0" '
                "| xargs -0 rm -rf --; fi",
                'echo "removed $n folder(s)"',
            ]
        )
    return "\n".join(
        [
            query.find(),
            'n=$(printf "%s" "$files" | grep -c . || true)',
            'if [ -n "$files" ]; then printf "%s\\n" "$files" | tr "\\n" "\\0" '
            "| xargs -0 rm -f --; fi",
            'echo "removed $n file(s)"',
        ]
    )
