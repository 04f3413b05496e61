"""`sparse visualize`: NAME.png by default through the real Graphviz `dot`, other formats, the
DOT text with --dot, and the errors (no `dot`, `dot` failing, bad output folder)."""

from __future__ import annotations

import os
import shutil
import struct
import sys
from pathlib import Path

import pytest

from stormbridge.cli.main import main
from stormbridge.cli.visualize import output_target

REPO = Path(__file__).resolve().parents[3]
BASE = ["visualize", "--config", str(REPO / "config.json"), "-n", "wordcount"]


@pytest.fixture
def real_dot() -> str:
    """The real Graphviz `dot`: `make test` installs it (scripts/system-deps.sh), so in CI its
    absence is a failure, not a skip."""
    exe = shutil.which("dot")
    if exe is None:
        message = "Graphviz `dot` is not installed: apt-get install graphviz (make system-deps)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return exe


def test_png_named_after_the_topology_by_default(
    real_dot: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(BASE) == 0
    png = tmp_path / "wordcount.png"
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    assert width > 300 and height > 40  # two labelled nodes side by side (rankdir=LR)
    assert width > height
    assert f"Wrote wordcount.png (png, {(len(data) / 1024):.1f} KiB)" in capsys.readouterr().out


def test_svg_holds_the_components_and_grouping(real_dot: str, tmp_path: Path) -> None:
    target = tmp_path / "graph.svg"  # format from the extension
    assert main([*BASE, "-o", str(target)]) == 0
    svg = target.read_text()
    assert "<svg" in svg
    for text in ("word_spout", "WordSpout x1", "count_bolt", "WordCountBolt x2", "fields(word)"):
        assert f">{text}</text>" in svg, text
    assert "<title>word_spout&#45;&gt;count_bolt</title>" in svg  # the edge


def test_format_flag_and_extension_appended(real_dot: str, tmp_path: Path) -> None:
    assert main([*BASE, "-f", "svg", "-o", str(tmp_path / "out")]) == 0
    assert "<svg" in (tmp_path / "out.svg").read_text()
    assert main([*BASE, "-f", "dot", "-o", str(tmp_path / "g.dot")]) == 0
    assert (tmp_path / "g.dot").read_text().startswith('digraph "wordcount" {')


def test_output_target_rules() -> None:
    assert output_target("wc", None, None) == ("png", Path("wc.png"))
    assert output_target("wc", "svg", None) == ("svg", Path("wc.svg"))
    assert output_target("wc", None, "a/b.JPG") == ("jpeg", Path("a/b.JPG"))
    assert output_target("wc", "pdf", "a/b.png") == ("pdf", Path("a/b.png"))
    assert output_target("wc", None, "a/b") == ("png", Path("a/b.png"))
    assert output_target("wc", "svg", "a/b.v2") == ("svg", Path("a/b.v2.svg"))


def test_dot_text_to_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*BASE, "--dot"]) == 0
    out = capsys.readouterr().out
    assert out.startswith('digraph "wordcount" {')
    assert '"word_spout" [shape=box, label="word_spout\\nWordSpout x1"];' in out
    assert '"count_bolt" [shape=ellipse, label="count_bolt\\nWordCountBolt x2"];' in out
    assert '"word_spout" -> "count_bolt" [label="fields(word)"];' in out
    assert out.rstrip().endswith("}")
    assert main([*BASE, "--dot", "-f", "svg"]) == 1
    assert "--dot prints the DOT text to stdout" in capsys.readouterr().err


def test_missing_dot_names_the_debian_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PATH", str(tmp_path))  # no dot here
    assert main(BASE) == 1
    err = capsys.readouterr().err
    assert "install the Debian package graphviz (`apt-get install graphviz`" in err
    assert "--dot" in err
    assert not (tmp_path / "wordcount.png").exists()


def test_missing_output_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*BASE, "-f", "dot", "-o", str(tmp_path / "nope" / "g.dot")]) == 1
    assert "the folder" in capsys.readouterr().err


def fake_dot(tmp_path: Path, body: str) -> Path:
    """A `dot` stand-in on PATH: a real executable run without a shell by visualize."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    script = bindir / "dot"
    script.write_text(f"#!{sys.executable}\n{body}")
    script.chmod(0o755)
    return bindir


def test_render_passes_format_and_reports_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    bindir = fake_dot(
        tmp_path,
        "import sys\n"
        "fmt, _, out = sys.argv[1:4]\n"
        "data = sys.stdin.read()\n"
        "if 'digraph' not in data: sys.exit(9)\n"
        "if fmt == '-Tpdf':\n"
        "    sys.stderr.write('Error: no pdf here\\n'); sys.exit(3)\n"
        "open(out, 'w').write(fmt + ' ' + str(len(data)))\n",
    )
    monkeypatch.setenv("PATH", str(bindir))
    png = tmp_path / "wc.png"
    assert main([*BASE, "-f", "png", "-o", str(png)]) == 0
    assert png.read_text().startswith("-Tpng ")
    assert main([*BASE, "-f", "pdf", "-o", str(tmp_path / "wc.pdf")]) == 1
    assert "Graphviz dot failed (exit 3): Error: no pdf here" in capsys.readouterr().err
