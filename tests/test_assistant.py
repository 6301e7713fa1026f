"""End-to-end answers over the seed article with the bundled reader (real models, tiny index)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qa.assistant import NOT_FOUND, Assistant, headline_context, in_headline, prefer_body
from qa.reader import Reader, ReaderError, Span
from qa.types import Chunk, Hit, Piece

SEED = "000_40ab86d132b0175c.txt"


def test_unga_vote_is_answered_and_cited(seed_assistant):
    result = seed_assistant.answer("What was the UNGA vote?")
    assert not result.abstained
    assert "141 to 5" in result.text
    top = result.citations[0]
    assert (top.source, top.line, top.end_line) == (SEED, 4, 4)
    assert top.quote.startswith("The vote was 141 to 5")
    assert top.quote[top.start : top.end] == result.text
    assert 0.0 <= result.score <= 1.0
    assert set(result.timings) == {"retrieve", "read", "total"}
    json.dumps(result.to_dict())  # JSON-able


@pytest.mark.parametrize(
    "question",
    [
        "Who won the 2022 FIFA World Cup final?",
        "What is the boiling point of mercury?",
        "How much did Apple pay for its new campus?",
    ],
)
def test_abstains_when_the_articles_do_not_answer(seed_assistant, question):
    result = seed_assistant.answer(question)
    assert result.abstained, (result.text, result.score)
    assert result.text == NOT_FOUND and result.citations == []
    assert result.passages  # the closest passages are still offered


def test_follow_up_resolved_from_history(seed_assistant):
    result = seed_assistant.answer("How many abstained?", history=["What was the UNGA vote?"])
    assert not result.abstained
    assert "34" in result.text
    assert result.citations[0].line == 4


def test_same_answer_in_overlapping_passages_is_merged(seed_assistant):
    result = seed_assistant.answer("Who is Moscow's negotiator?", top_k=8)
    assert not result.abstained and "Medinsky" in result.text
    keys = [(c.source, c.line) for c in result.citations]
    assert len(keys) == len(set(keys))
    for c in result.citations:  # every cited line holds the same answer (up to edge punctuation)
        assert result.text.lower().strip(".,") in c.quote[c.start : c.end].lower()


def test_invalid_questions_are_rejected(seed_assistant):
    for bad in ["", "   ", "x" * 501]:
        with pytest.raises(ValueError):
            seed_assistant.answer(bad)
    with pytest.raises(ValueError):
        seed_assistant.answer("What was the vote?", top_k=0)


def test_any_hugging_face_qa_directory_plugs_in(tmp_path, seed_index, reader_dir):
    """A user-supplied model directory (here: a fresh tiny BERT QA model) drives the same pipeline."""
    from transformers import AutoTokenizer, BertConfig, BertForQuestionAnswering

    model_dir = tmp_path / "tiny-qa"
    config = BertConfig(
        vocab_size=30522,
        hidden_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=512,
    )
    BertForQuestionAnswering(config).save_pretrained(model_dir)
    AutoTokenizer.from_pretrained(str(reader_dir)).save_pretrained(model_dir)

    bot = Assistant(seed_index, seed_index.settings.with_overrides(reader_path=model_dir))
    assert bot.reader.path == model_dir
    result = bot.answer("What was the UNGA vote?", threshold=0.0)
    assert result.citations, "a threshold of 0 always yields a cited span"
    c = result.citations[0]
    assert c.quote[c.start : c.end] == result.text


def test_bad_reader_path_is_a_clear_error(tmp_path):
    with pytest.raises(ReaderError, match="no reader model"):
        Reader(tmp_path / "missing")


def test_context_lines_are_the_cited_article_lines_around_a_line(seed_assistant):
    source = "000_40ab86d132b0175c.txt"
    raw = (Path(__file__).parents[1] / "seeds" / source).read_text(encoding="utf-8").splitlines()
    context = seed_assistant.context_lines(source, 4, before=2, after=1)
    assert [n for n, _ in context] == [2, 3, 4, 5]
    assert all(raw[n - 1].strip() == text.strip() for n, text in context)
    assert seed_assistant.context_lines("not-indexed.txt", 4) == []
    assert seed_assistant.context_lines(source, 999) == []


HEADLINE = "UNGA vote against Russia's campaign"
BODY = "The vote was 141 to 5, with 34 abstentions."


def _chunk(text: str, title: str = HEADLINE) -> Chunk:
    pieces, quotes, start = [], {}, 0
    for number, line in enumerate(text.split("\n"), start=1):
        pieces.append(Piece(start=start, length=len(line), line=number, col=0))
        quotes[number] = line
        start += len(line) + 1
    return Chunk(source="a.txt", title=title, date=None, text=text, pieces=tuple(pieces), quotes=quotes)


def _span(passage: int, text: str, needle: str, score: float) -> Span:
    start = text.index(needle)
    return Span(passage, start, start + len(needle), needle, score, 1 - score)


def test_headline_is_context_only_for_chunks_that_do_not_open_with_it():
    assert headline_context(_chunk(BODY)) == HEADLINE
    assert headline_context(_chunk(f"{HEADLINE}\n{BODY}")) == ""  # already in the passage
    assert headline_context(_chunk(BODY, title="  ")) == ""


def test_body_answers_beat_headline_spans_only_when_the_reader_backs_them():
    opening, later = _chunk(f"{HEADLINE}\n{BODY}"), _chunk(BODY)
    hits = [Hit(opening, 1.0, 0), Hit(later, 0.5, 1)]
    headline_span = _span(0, opening.text, "Russia's campaign", 0.99)
    assert in_headline(headline_span, opening) and not in_headline(_span(0, opening.text, "141 to 5", 0.6), opening)

    backed = _span(1, later.text, "141 to 5", 0.66)
    assert prefer_body([headline_span, backed], hits) == [backed]
    weak = _span(1, later.text, "141 to 5", 0.3)  # the reader rates "no answer" likelier: keep the headline
    assert prefer_body([headline_span, weak], hits) == [headline_span, weak]


def test_warm_up_loads_each_model_once_and_every_answer_reuses_them(seed_index, reader_dir, monkeypatch):
    """Models are owned by the assistant (the embedder through its index), not cached globally."""
    import qa.embed
    import qa.reader
    from qa.store import CorpusIndex

    loads: list[str] = []
    load_model, load_embedder = qa.reader.load_qa_model, qa.embed.Embedder._load
    monkeypatch.setattr(qa.reader, "load_qa_model", lambda *a, **k: loads.append("reader") or load_model(*a, **k))
    monkeypatch.setattr(  # whichever runtime the embedder loads (ONNX or sentence-transformers)
        qa.embed.Embedder, "_load", lambda self: loads.append("embedder") or load_embedder(self)
    )
    settings = seed_index.settings.with_overrides(reader_path=reader_dir, retrieval="hybrid", reader_precision="fp32")
    index = CorpusIndex(seed_index.index_dir, [seed_index.roots[0]], settings)
    assert index.load()
    bot = Assistant(index, settings)
    assert loads == []  # constructing loads nothing
    bot.warm_up()
    assert loads == ["reader", "embedder"]
    first = bot.answer("What was the UNGA vote?")
    second = bot.answer("How many abstained?", history=["What was the UNGA vote?"])
    bot.warm_up()
    assert "141 to 5" in first.text and "34" in second.text
    assert loads == ["reader", "embedder"]  # both answers (dense search included) reused them


def test_module_level_answer_builds_and_warms_one_default_assistant(seed_assistant, monkeypatch):
    import qa
    import qa.assistant

    built: list[Assistant] = []
    warmed: list[Assistant] = []

    def from_corpus(*args, **kwargs):
        built.append(seed_assistant)
        return seed_assistant

    monkeypatch.setattr(qa.assistant, "_default", None)
    monkeypatch.setattr(Assistant, "from_corpus", staticmethod(from_corpus))
    monkeypatch.setattr(seed_assistant, "warm_up", lambda: warmed.append(seed_assistant))
    assert "141 to 5" in qa.answer("What was the UNGA vote?").text
    assert "34" in qa.answer("How many abstained?", history=["What was the UNGA vote?"]).text
    assert len(built) == len(warmed) == 1
