"""The `qa` command: readable errors, non-zero exits, JSON answers."""

from __future__ import annotations

import json
import shutil

from qa.cli import main

SEED = "000_40ab86d132b0175c.txt"


def test_empty_and_overlong_questions_exit_2(capsys):
    assert main(["ask", "   "]) == 2
    assert "empty" in capsys.readouterr().err
    assert main(["ask", "why " * 200]) == 2
    assert "limit" in capsys.readouterr().err


def test_missing_paths_exit_2(tmp_path, capsys):
    assert main(["index", str(tmp_path / "nope"), "--index", str(tmp_path / "i")]) == 2
    assert "not found" in capsys.readouterr().err
    assert main(["ask", "Who?", "--corpus", str(tmp_path / "nope"), "--index", str(tmp_path / "i")]) == 2


def test_bad_reader_path_exits_2(tmp_path, capsys, seed_corpus):
    code = main(
        [
            "ask",
            "What was the vote?",
            "--corpus",
            str(seed_corpus),
            "--index",
            str(tmp_path / "i"),
            "--reader",
            str(tmp_path / "nothing"),
        ]
    )
    assert code == 2 and "no reader model" in capsys.readouterr().err
    assert not (tmp_path / "i").exists()  # failed before any indexing work


def test_unreadable_index_exits_2(tmp_path, capsys, seed_corpus):
    index_dir = tmp_path / "index"
    assert main(["index", str(seed_corpus), "--index", str(index_dir)]) == 0
    generation = index_dir / (index_dir / "CURRENT").read_text()
    (generation / "manifest.json").write_text("{broken")
    assert main(["ask", "What was the vote?", "--corpus", str(seed_corpus), "--index", str(index_dir)]) == 2
    assert "unreadable" in capsys.readouterr().err


def test_ask_json_cites_line_4(tmp_path, capsys, seed_corpus, reader_dir):
    corpus = tmp_path / "corpus"
    shutil.copytree(seed_corpus, corpus)
    assert (
        main(["ask", "What was the UNGA vote?", "--json", "--corpus", str(corpus), "--index", str(tmp_path / "index")])
        == 0
    )
    data = json.loads(capsys.readouterr().out)
    assert "141 to 5" in data["text"] and not data["abstained"]
    assert data["citations"][0]["source"] == SEED and data["citations"][0]["line"] == 4


def test_ask_uses_the_corpus_the_index_was_built_from(tmp_path, capsys, seed_corpus, reader_dir):
    index_dir = tmp_path / "index"
    assert main(["index", str(seed_corpus), "--index", str(index_dir)]) == 0
    capsys.readouterr()
    assert main(["ask", "Which city did Russia claim to have seized?", "--json", "--index", str(index_dir)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert "Kherson" in data["text"]


def test_bad_input_exits_2_in_every_command(tmp_path, capsys):
    """One error story: any NewsQAError is one `error:` line and exit 2, whichever command."""
    assert main(["eval", str(tmp_path / "missing.jsonl")]) == 2
    assert main(["train-reader", "--config", str(tmp_path / "none.json"), "--run-dir", str(tmp_path / "run")]) == 2
    assert main(["export-reader", str(tmp_path / "no-model"), "--out", str(tmp_path / "out")]) == 2
    assert main(["ask", "Who?", "--threshold", "2"]) == 2
    err = capsys.readouterr().err
    assert "missing.jsonl" in err and "none.json" in err and "no-model" in err and "threshold" in err
    assert "Traceback" not in err


def test_index_shows_an_embedding_progress_bar(tmp_path, capsys, seed_corpus):
    """Indexing a large archive takes minutes (#17): `qa index` says how far it is."""
    assert main(["index", str(seed_corpus), "--index", str(tmp_path / "index")]) == 0
    err = capsys.readouterr().err
    assert "embedding: 100%" in err and "passage" in err
