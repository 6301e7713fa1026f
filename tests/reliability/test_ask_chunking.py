"""Issue #18, defect 6: `qa ask --chunk-tokens 64` on an existing index silently rebuilt
the whole index. `ask` now refuses chunking flags that differ from the index's and
otherwise uses the index's chunking; `qa index` with new flags still rebuilds."""

from __future__ import annotations

from pathlib import Path

from qa.cli import main
from qa.store import CorpusIndex


def generation(index_dir: Path) -> str:
    return (index_dir / "CURRENT").read_text()


def test_ask_refuses_other_chunking_and_index_rebuilds(seed_corpus, tmp_path, capsys) -> None:
    index_dir = tmp_path / "index"
    assert main(["index", str(seed_corpus), "--index", str(index_dir)]) == 0
    before = generation(index_dir)
    capsys.readouterr()

    assert main(["ask", "What was the UNGA vote?", "--index", str(index_dir), "--chunk-tokens", "64"]) == 2
    [line] = capsys.readouterr().err.strip().splitlines()
    assert line.startswith(f"error: the index at {index_dir} was built with --chunk-tokens 128, --chunk-overlap 32")
    assert f"`qa index {seed_corpus.resolve()} --index {index_dir} --chunk-tokens 64 --chunk-overlap 32`" in line
    assert generation(index_dir) == before and CorpusIndex.stored_params(index_dir)["chunk_tokens"] == 128

    assert main(["index", str(seed_corpus), "--index", str(index_dir), "--chunk-tokens", "64"]) == 0
    rebuilt = generation(index_dir)
    assert rebuilt != before and CorpusIndex.stored_params(index_dir)["chunk_tokens"] == 64

    # without chunking flags, ask reads the index as built: no rebuild back to the defaults
    assert main(["ask", "What was the UNGA vote?", "--index", str(index_dir), "--json"]) == 0
    assert "141 to 5" in capsys.readouterr().out
    assert generation(index_dir) == rebuilt
    assert main(["ask", "What was the UNGA vote?", "--index", str(index_dir), "--chunk-tokens", "64"]) == 0
    assert generation(index_dir) == rebuilt
