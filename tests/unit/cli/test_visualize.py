"""`sparse visualize`: DOT text for the word-count topology; image rendering needs `dot`."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from stormbridge.cli.main import main

REPO = Path(__file__).resolve().parents[3]


def test_dot_to_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["visualize", "--config", str(REPO / "config.json"), "-n", "wordcount"]) == 0
    out = capsys.readouterr().out
    assert out.startswith('digraph "wordcount" {')
    assert '"word_spout" [shape=box, label="word_spout\\nWordSpout x1"];' in out
    assert '"count_bolt" [shape=ellipse, label="count_bolt\\nWordCountBolt x2"];' in out
    assert '"word_spout" -> "count_bolt" [label="fields(word)"];' in out
    assert out.rstrip().endswith("}")


def test_dot_to_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "wc.dot"
    argv = ["visualize", "--config", str(REPO / "config.json"), "-n", "wordcount", "-o", str(out)]
    assert main(argv) == 0
    assert out.read_text().startswith('digraph "wordcount"')


def test_image_needs_output_and_dot(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = ["visualize", "--config", str(REPO / "config.json"), "-n", "wordcount", "-f", "svg"]
    assert main(base) == 1
    assert "give the file with -o FILE" in capsys.readouterr().err
    target = tmp_path / "wc.svg"
    code = main([*base, "-o", str(target)])
    if shutil.which("dot") is None:
        assert code == 1
        assert "needs the Graphviz `dot` program" in capsys.readouterr().err
        assert not target.exists()
    else:
        assert code == 0
        assert "<svg" in target.read_text()


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
    base = ["visualize", "--config", str(REPO / "config.json"), "-n", "wordcount"]
    png = tmp_path / "wc.png"
    assert main([*base, "-f", "png", "-o", str(png)]) == 0
    assert png.read_text().startswith("-Tpng ")
    assert main([*base, "-f", "pdf", "-o", str(tmp_path / "wc.pdf")]) == 1
    assert "Graphviz dot failed (exit 3): Error: no pdf here" in capsys.readouterr().err
