"""One index, many corpora, no silent loss (#19 item 4).

The app and `qa ask` serve the corpus the index records (several paths) when none is
named; `qa index` with other paths says what it drops and embeds and asks (terminal)
or refuses without --yes (no terminal); the app given other paths says so.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qa.cli import main
from qa.config import Settings
from qa.ui.service import AssistantService

HARBOUR = {
    "id": "harbour-1",
    "title": "Harbour reopens after storm",
    "date": "2024-05-06",
    "text": "The port of Valdris reopened on Monday after Storm Elena had closed it for nine days.\n"
    "Harbour master Ines Okafor said 212 cargo ships had been waiting offshore for the storm to pass.",
}


@pytest.fixture()
def two_corpora(tmp_path: Path, seed_corpus: Path) -> tuple[Path, Path, Path]:
    """(seed folder, a one-article jsonl, index dir) with the index built from both by `qa index`."""
    jsonl = tmp_path / "harbour.jsonl"
    jsonl.write_text(json.dumps(HARBOUR) + "\n", encoding="utf-8")
    index_dir = tmp_path / "index"
    assert main(["index", str(seed_corpus), str(jsonl), "--index", str(index_dir)]) == 0
    return seed_corpus, jsonl, index_dir


def _generation(index_dir: Path) -> tuple[str, int]:
    name = (index_dir / "CURRENT").read_text()
    return name, (index_dir / name / "manifest.json").stat().st_mtime_ns


def test_qa_index_with_other_paths_refuses_without_yes_off_a_terminal(two_corpora, capsys) -> None:
    seeds, jsonl, index_dir = two_corpora
    before = _generation(index_dir)
    capsys.readouterr()
    assert main(["index", str(seeds), "--index", str(index_dir)]) == 2  # pytest's stdin is no terminal
    captured = capsys.readouterr()
    assert "drops 1 file(s)" in captured.err and "harbour.jsonl" in captured.err
    assert "--yes" in captured.err and _generation(index_dir) == before  # nothing changed
    assert main(["index", str(seeds), "--index", str(index_dir), "--yes"]) == 0
    assert "drops 1 file(s)" in capsys.readouterr().err
    assert _generation(index_dir) != before


def test_qa_ask_with_other_corpus_paths_asks_too(two_corpora, capsys, monkeypatch) -> None:
    """`qa ask --corpus` naming other paths would change the index's corpus like `qa index`:
    it says what that drops and asks (or refuses off a terminal without --yes)."""
    seeds, jsonl, index_dir = two_corpora
    before = _generation(index_dir)
    capsys.readouterr()
    question = ["ask", "How many cargo ships were waiting?", "--index", str(index_dir), "--json"]
    assert main([*question, "--corpus", str(seeds)]) == 2
    captured = capsys.readouterr()
    assert "drops 1 file(s)" in captured.err and "--yes" in captured.err and captured.out == ""
    assert _generation(index_dir) == before
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    monkeypatch.setattr("builtins.input", lambda prompt: "n")
    assert main([*question, "--corpus", str(seeds)]) == 1 and _generation(index_dir) == before
    capsys.readouterr()
    assert main([*question, "--corpus", str(jsonl), str(seeds)]) == 0  # the index's own paths: no question
    assert "212" in json.loads(capsys.readouterr().out)["text"]


def test_qa_index_with_other_paths_asks_on_a_terminal(two_corpora, capsys, monkeypatch) -> None:
    seeds, jsonl, index_dir = two_corpora
    before = _generation(index_dir)
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    asked: list[str] = []
    monkeypatch.setattr("builtins.input", lambda prompt: asked.append(prompt) or "")  # Enter: the default, no
    assert main(["index", str(seeds), "--index", str(index_dir)]) == 1
    assert asked == ["Change the index's corpus? [y/N] "] and "cancelled" in capsys.readouterr().out
    assert _generation(index_dir) == before
    # the same paths again (in any order) ask nothing
    assert main(["index", str(jsonl), str(seeds), "--index", str(index_dir)]) == 0
    assert len(asked) == 1


def test_the_app_serves_the_index_corpus_without_reembedding(two_corpora, reader_dir) -> None:
    """`qa index seeds x.jsonl`, then the app without --corpus: x.jsonl is still searchable."""
    seeds, jsonl, index_dir = two_corpora
    before = _generation(index_dir)
    service = AssistantService(Settings().with_overrides(index_dir=index_dir))
    assert service.corpus.stored and not service.corpus.note
    assert {p.resolve() for p in service.corpus.paths} == {seeds.resolve(), jsonl.resolve()}
    assert service.corpus.upload_dir == seeds.resolve()
    service.start()
    assert service.wait(600), service.status().error
    with service.using(timeout=0) as bot:
        assert any(a["source"].startswith("harbour.jsonl") for a in bot.articles())
        answer = bot.answer("How many cargo ships had been waiting offshore?")
    assert "212" in answer.text and answer.citations[0].source.startswith("harbour.jsonl")
    assert _generation(index_dir) == before  # loaded as it was: nothing dropped, nothing re-embedded


def test_the_app_given_other_paths_says_what_it_drops_and_embeds(two_corpora, tmp_path) -> None:
    seeds, jsonl, index_dir = two_corpora
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "new.txt").write_text("Headline\nA new story.\n", encoding="utf-8")
    service = AssistantService(Settings().with_overrides(index_dir=index_dir), lambda s, p: None, corpus=[seeds, extra])
    assert not service.corpus.stored
    assert "drops 1 file(s)" in service.corpus.note and "harbour.jsonl" in service.corpus.note
    assert "embeds 1 file(s)" in service.corpus.note


def test_a_new_index_serves_the_default_corpus(tmp_path) -> None:
    settings = Settings().with_overrides(index_dir=tmp_path / "none", corpus_dir=tmp_path)
    service = AssistantService(settings, lambda s, p: None)
    assert service.corpus.paths == (tmp_path,) and not service.corpus.stored and not service.corpus.note
