"""Synthetic news QA generator (qa.train.synthetic): fast, no model needed.

The heuristic extractor is exercised everywhere; the spaCy path is checked too when an
English spaCy pipeline happens to be installed (it is an optional training-time extra).
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qa.squad import load_squad
from qa.train.data import load_sources, synthetic_news_path
from qa.train.synthetic.corpus import (
    MAX_WORDS,
    MIN_WORDS,
    NewsArticle,
    SeedGuard,
    corpus_path,
    make_contexts,
    read_articles,
    wire_paragraphs,
)
from qa.train.synthetic.generate import check_offsets, generate, iter_examples
from qa.train.synthetic.heuristic import heuristic_candidates, heuristic_question, trim_sentence
from qa.train.synthetic.questions import finish_question, question_ok
from qa.train.synthetic.spacy_answers import ANSWER_TYPES, load_spacy, spacy_candidates
from qa.train.synthetic.spacy_questions import spacy_question

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
SHARED = ROOT.parent / "shared"
SEED_FILE = "000_40ab86d132b0175c.txt"

PARAGRAPHS_A = [
    "Quarterly profits at US media giant TimeWarner jumped 76% to $1.13bn for the three months to "
    "December, from $639m a year earlier. The firm said fourth quarter sales rose 2% to $11.1bn.",
    "Time Warner said on Friday that it now owns 8% of search-engine Google. Its internet business, AOL, "
    "lost 464,000 subscribers in the fourth quarter. Chief executive Richard Parsons said the company "
    "would try to sign up existing customers for broadband.",
    "The company also has to restate results for 2000 and 2003 following a probe by the US Securities "
    "Exchange Commission, which is close to concluding. Analysts at Merrill Lynch said the results were "
    "slightly better than expected.",
    "Shares in the group rose 3% in New York on Wednesday. Mr Parsons told investors in London that the "
    "film division would release 12 new films in 2005, including two sequels.",
    "Warner Bros had a difficult year after box-office flops Alexander and Catwoman. The studio's profits "
    "slumped 27% to $284m, although its music arm, based in Los Angeles, grew by 4%.",
    "Finance director Wayne Pace said the company expected operating earnings to grow by mid single "
    "digits in 2005. He added that Time Warner would buy back up to $5bn of its own shares by March 2006.",
    "The company is in talks with Comcast about a joint bid for Adelphia, the bankrupt cable operator "
    "based in Pennsylvania. A deal worth about $17bn could be announced in April, bankers in New York said.",
]
PARAGRAPHS_B = [
    "Showers continued throughout the week in the Bahia cocoa zone, alleviating the drought since early "
    "January, Comissaria Smith said in its weekly review. Arrivals for the week ended February 22 were "
    "155,221 bags of 60 kilos.",
    "Comissaria Smith said spot bean prices rose to 340 to 350 cruzados per arroba of 15 kilos. Bean "
    "shippers were reluctant to offer nearby shipment and only limited sales were booked for March.",
    "Total Bahia crop estimates are around 6.4 mln bags and sales stand at almost 6.2 mln. Farmers in "
    "Ilheus have sold a good part of their cocoa held on consignment, exporters said on Monday.",
    "The Brazilian Cocoa Trade Commission said in Salvador that the next review would be published in "
    "April. Its president, Jose Santos, said 2,500 tonnes had been shipped to Europe.",
    "Dealers in Sao Paulo said the temporao harvest would be late this year because of the dry period. "
    "Cocoa prices in London fell 40 sterling to 1,320 a tonne on Tuesday as speculators sold.",
    "Ghana's Cocoa Marketing Board said it had bought 210,000 tonnes of main crop cocoa by the end of "
    "February, against 190,000 tonnes a year earlier. The board said it expected a late rally in purchases.",
]


def _article(corpus: str, ident: str, paragraphs: list[str]) -> NewsArticle:
    return NewsArticle(corpus, ident, f"title {ident}", tuple(paragraphs))


ARTICLES = [_article("bbc", "business/001", PARAGRAPHS_A), _article("reuters", "00001", PARAGRAPHS_B)]


def _generate(articles=ARTICLES, seed=13, **kw):
    kw.setdefault("per_context", 4)
    return generate(articles, nlp=None, seed=seed, guard=SeedGuard([]), **kw)


def _positives_and_negatives(squad):
    pos, neg = {}, []
    for context, qa in iter_examples(squad):
        if qa["is_impossible"]:
            neg.append((context, qa))
        else:
            pos[qa["id"]] = (context, qa)
    return pos, neg


# ----------------------------------------------------------------------- templates


WH_START = re.compile(r"^(Who|What|Which|When|Where|How|Since when|Until when|By when|By how much)\b")


@pytest.mark.parametrize(
    ("sentence", "answer", "label", "wh"),
    [
        (
            "Chief executive Richard Parsons said the company would try to sign up customers.",
            "Richard Parsons",
            "PERSON",
            "who",
        ),
        ("Its internet business lost 464,000 subscribers in the fourth quarter.", "464,000", "CARDINAL", "how many"),
        ("Profits jumped to $1.13bn for the three months to December.", "$1.13bn", "MONEY", "how much"),
        ("Shares in the group rose 3% in New York on Wednesday.", "3%", "PERCENT", "what percentage"),
        ("The commission said in 1997 that it would not act.", "1997", "DATE", "when"),
        ("Shares in the group rose sharply in London after the results.", "London", "GPE", "where"),
    ],
)
def test_heuristic_templates_make_wh_questions(sentence, answer, label, wh):
    start = sentence.index(answer)
    made = heuristic_question(sentence, start, start + len(answer), label, random.Random(0))
    assert made is not None
    question, _style = made
    assert question.endswith("?") and question[0].isupper()
    assert wh in question.lower()
    assert answer.lower() not in question.lower()
    assert "  " not in question and " ?" not in question


def test_heuristic_candidates_find_typed_spans():
    sentence = "Time Warner said on Friday that Mr Richard Parsons sold 8% of Google for $1.2bn in 2004."
    found = {(sentence[a:b], label) for a, b, label in heuristic_candidates(sentence)}
    assert ("Friday", "DATE") in found
    assert ("8%", "PERCENT") in found
    assert ("$1.2bn", "MONEY") in found
    assert ("Richard Parsons", "PERSON") in found
    assert ("2004", "DATE") in found
    assert any(text == "Time Warner" for text, _ in found)


def test_finish_question_is_well_formed():
    assert finish_question('the firm said " who had won , the vote') == "The firm said who had won, the vote?"
    assert finish_question("who won the vote , .") == "Who won the vote?"
    assert finish_question("no question word here at all") is None
    assert finish_question("who") is None


def test_trimming_drops_clauses_away_from_the_answer():
    sentence = (
        "The firm, which serves Buenos Aires (a big city), wants a tariff rise of 60%, while the government disagrees."
    )
    start = sentence.index("60%")
    text, s, e = trim_sentence(sentence, start, start + 3)
    assert text[s:e] == "60%"
    assert "(a big city)" not in text and "government" not in text


def test_question_filters_reject_leaks_and_quotes():
    sentence = "AOL lost 464,000 subscribers, Parsons said."
    assert question_ok("How many subscribers did AOL lose?", "464,000", sentence)
    assert not question_ok("How many subscribers did AOL lose, 464,000?", "464,000", sentence)
    assert not question_ok("How many subscribers did we lose?", "464,000", sentence)
    assert not question_ok("Who and what lost subscribers?", "AOL", sentence)


# ------------------------------------------------------------------------ generation


def test_every_answer_offset_is_valid_and_types_are_counted():
    squad, stats = _generate()
    assert check_offsets(squad) == 0
    pos, _ = _positives_and_negatives(squad)
    assert len(pos) == stats.positives > 6
    for context, qa in pos.values():
        (answer,) = qa["answers"]
        assert context[answer["answer_start"] : answer["answer_start"] + len(answer["text"])] == answer["text"]
        assert qa["question"].endswith("?") and WH_START.match(qa["question"]) or " " in qa["question"]
        assert answer["text"].lower() not in qa["question"].lower()
        assert qa["answer_type"] in ANSWER_TYPES or qa["answer_type"] == "NAME"
    assert sum(stats.by_type.values()) == stats.positives


def test_negatives_never_contain_the_answer():
    squad, stats = _generate(negative_ratio=1.0)
    pos, neg = _positives_and_negatives(squad)
    assert neg and len(neg) == stats.negatives
    for context, qa in neg:
        assert qa["answers"] == [] and qa["is_impossible"] is True
        source_context, source = pos[qa["id"].removesuffix("-neg")]
        assert source["question"] == qa["question"] and source_context != context
        assert source["answers"][0]["text"].lower() not in context.lower()


def test_output_is_deterministic_for_a_seed():
    first, _ = _generate(seed=13)
    again, _ = _generate(seed=13)
    other, _ = _generate(seed=14)
    assert json.dumps(first, sort_keys=True) == json.dumps(again, sort_keys=True)
    assert json.dumps(first, sort_keys=True) != json.dumps(other, sort_keys=True)
    # Per-article RNGs: an article's questions do not depend on what came before it.
    alone, _ = _generate(articles=ARTICLES[1:], seed=13)
    assert alone["data"] == first["data"][1:]


def test_written_file_loads_as_squad_v2(tmp_path):
    squad, stats = _generate(negative_ratio=0.5)
    path = tmp_path / "news_qa.json"
    path.write_text(json.dumps(squad), encoding="utf-8")
    examples = load_squad(path)
    assert len(examples) == stats.positives + stats.negatives
    assert sum(e.is_impossible for e in examples) == stats.negatives
    assert {e.title for e in examples} == {f"{a.corpus}/{a.id}: {a.title}" for a in ARTICLES}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["Mr John Smith", "Acme Corp", "the council", "Anna Lee", "Reuters Holdings Plc"]),
            st.sampled_from(["said", "reported", "announced that", "told investors"]),
            st.sampled_from(["profits rose", "sales fell", "the firm hired", "shares climbed", "it sold"]),
            st.integers(1, 99_999),
            st.sampled_from(["%", " workers", " pct", "m", " dlrs", " bags"]),
            st.sampled_from(["on Friday", "in 2004", "in London", "by March 3, 2005", "last week", ""]),
        ),
        min_size=12,
        max_size=40,
    ),
    st.integers(0, 1000),
)
def test_offsets_and_negatives_hold_on_random_news(rows, seed):
    sentences = [f"{who} {verb} {what} {n:,}{unit} {when}".strip() + "." for who, verb, what, n, unit, when in rows]
    sentences = [s[0].upper() + s[1:] for s in sentences]
    paragraphs = [" ".join(sentences[i : i + 4]) for i in range(0, len(sentences), 4)]
    article = _article("bbc", "random/1", paragraphs)
    squad, _ = _generate(articles=[article], seed=seed, negative_ratio=1.0)
    assert check_offsets(squad) == 0
    pos, neg = _positives_and_negatives(squad)
    for context, qa in neg:
        assert pos[qa["id"].removesuffix("-neg")][1]["answers"][0]["text"].lower() not in context.lower()


# ---------------------------------------------------------------- corpora and seeds


def test_contexts_are_squad_sized_prose():
    rng = random.Random(1)
    long_paragraph = " ".join(["The market rose again on Monday as traders bought shares."] * 40)
    table = "Shr 17 cts vs 13 cts Net 2.1 mln vs 1.03 mln Revs 15.6 mln vs 12 mln"
    contexts = make_contexts([*PARAGRAPHS_A, table, long_paragraph], rng)
    assert contexts
    for context in contexts:
        assert MIN_WORDS <= len(context.split()) <= MAX_WORDS
        assert "vs 13 cts" not in context


def test_wire_copy_is_unwrapped_and_cleaned():
    text = (
        "China's first joint venture bank, Xiamen\nInternational Bank <XIB>, reported a profit of about\n"
        "14 mln Hong Kong dlrs in 1986.\n    General manager Liu Shuxun declined to give a\nforecast "
        "for <Xiamen International\nFinance Co Ltd>.\n Reuter\n\x03"
    )
    paragraphs = wire_paragraphs(text)
    assert paragraphs == [
        "China's first joint venture bank, Xiamen International Bank, reported a profit of about 14 mln Hong Kong dlrs in 1986.",
        "General manager Liu Shuxun declined to give a forecast for Xiamen International Finance Co Ltd.",
    ]


def test_seed_files_are_refused_as_sources():
    for path in (SEEDS / SEED_FILE, SHARED / "seeds" / SEED_FILE):
        with pytest.raises(ValueError, match="seed"):
            corpus_path(str(path))
        with pytest.raises(ValueError, match="seed"):
            list(read_articles(path, "seed"))


def test_stories_sharing_text_with_the_seed_article_are_skipped(tmp_path):
    seed_text = (SEEDS / SEED_FILE).read_text(encoding="utf-8")
    lines = seed_text.splitlines()
    copied = {"id": "copy/1", "title": "copied", "text": "\n\n".join(lines[2:10])}
    corpus = tmp_path / "news.jsonl"
    corpus.write_text(
        json.dumps(copied) + "\n" + json.dumps({"id": "ok/1", "title": "ok", "text": "\n\n".join(PARAGRAPHS_A)}) + "\n",
        encoding="utf-8",
    )
    articles = list(read_articles(corpus_path(str(corpus)), "test"))
    squad, stats = generate(articles, nlp=None, seed=13, guard=SeedGuard([seed_text]))
    assert stats.skipped_seed == 1
    assert [a["title"] for a in squad["data"]] == ["test/ok/1: ok"]
    assert SeedGuard().fingerprints, "the project's seed article should be found by default"


# --------------------------------------------------------------------- training mix


def test_synthetic_news_is_a_training_source(tmp_path, monkeypatch):
    squad, stats = _generate(negative_ratio=0.5)
    path = tmp_path / "synthetic.json"
    path.write_text(json.dumps(squad), encoding="utf-8")
    examples = load_sources(tmp_path, ["synthetic_news"], synthetic_path=path)
    assert len(examples) == stats.positives + stats.negatives
    assert all(e.id.startswith("synthetic_news/") for e in examples)
    monkeypatch.setenv("QA_SYNTHETIC_NEWS", str(path))
    assert synthetic_news_path() == path
    assert len(load_sources(tmp_path, ["synthetic_news"])) == len(examples)
    monkeypatch.delenv("QA_SYNTHETIC_NEWS")
    assert synthetic_news_path().as_posix() == "runs/synthetic/news_qa.json"


# ------------------------------------------------------------ optional spaCy path


@pytest.fixture(scope="module")
def nlp():
    pytest.importorskip("spacy")
    pipeline = load_spacy()
    if pipeline is None:
        pytest.skip("no English spaCy pipeline installed (optional training-time extra)")
    return pipeline


@pytest.mark.parametrize(
    ("sentence", "answer", "expected"),
    [
        ("AOL lost 464,000 subscribers in the fourth quarter.", "464,000", "How many subscribers did AOL lose"),
        ("The Sundance Film Festival opens on Thursday.", "Thursday", "When does the Sundance Film Festival open?"),
        ("Apple has expanded its iPod family.", "Apple", "has expanded its iPod family?"),
        ("The 2004 awards will be presented on 3 December.", "3 December", "When will the 2004 awards be presented?"),
    ],
)
def test_spacy_questions_use_wh_movement(nlp, sentence, answer, expected):
    doc = nlp(sentence)
    candidates = {span.text: (span, label) for span, label in spacy_candidates(doc)}
    assert answer in candidates, candidates
    span, label = candidates[answer]
    made = spacy_question(span.sent, span, label, random.Random(0), optional_p=0.0)
    assert made is not None
    assert expected in made[0]


def test_spacy_generation_offsets(nlp):
    squad, stats = generate(ARTICLES, nlp=nlp, seed=13, guard=SeedGuard([]), negative_ratio=1.0)
    assert stats.positives > 4
    assert check_offsets(squad) == 0
    pos, neg = _positives_and_negatives(squad)
    for context, qa in neg:
        assert pos[qa["id"].removesuffix("-neg")][1]["answers"][0]["text"].lower() not in context.lower()
