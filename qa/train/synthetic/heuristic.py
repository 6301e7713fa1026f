"""Answer candidates and in-situ questions found by regular expressions, without spaCy.

The fallback when no spaCy pipeline is installed (or ``--no-spacy`` is given): typed
spans (names, money, percentages, dates, counts) come from patterns, and the answer's
trimmed sentence becomes a cloze question with a wh-phrase where the answer was.
"""

from __future__ import annotations

import random
import re

from qa.train.synthetic.corpus import word_count
from qa.train.synthetic.questions import (
    COMPANY_SUFFIXES,
    MONTHS,
    STOPWORDS,
    WEEKDAYS,
    WHEN_PREPS,
    date_wh,
    finish_question,
    org_wh,
)

_MONTH_RE = r"(?:January|February|March|April|May|June|July|August|September|October|November|December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\.?"
_HEURISTIC_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    (
        "MONEY",
        re.compile(
            r"(?:US|A|C|HK)?[$£€¥]\s?\d[\d,]*(?:\.\d+)?(?:\s?(?:m|bn|k|million|billion|trillion|mln|billion)\b)?"
            r"|\b\d[\d,]*(?:\.\d+)?\s(?:mln\s|billion\s|million\s|bln\s)?(?:[A-Z][a-z]+\s)?(?:dlrs|dollars|pounds|euros|yen|marks|francs|pence|cents|cts)\b"
        ),
    ),
    ("PERCENT", re.compile(r"\b\d[\d,]*(?:\.\d+)?\s?(?:%|per cent\b|percent\b|pct\b)")),
    (
        "DATE",
        re.compile(
            rf"\b{_MONTH_RE}\s\d{{1,2}}(?:,?\s(?:1[89]|20)\d\d)?\b|\b\d{{1,2}}\s{_MONTH_RE}(?:\s(?:1[89]|20)\d\d)?\b"
            rf"|\b{_MONTH_RE}\s(?:1[89]|20)\d\d\b|\b(?:in|since|until|by|during)\s+((?:1[89]|20)\d\d)\b"
            r"|\b(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b"
        ),
    ),
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
        after = sentence[start + len(text) :].lstrip()
        if text.split()[-1].lower().strip(".") in COMPANY_SUFFIXES or re.match(
            r"(?:Bank|Party|Union)\b", text.split()[-1]
        ):
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
            sentence = sentence[: m.start()] + sentence[m.end() :]
            if m.end() <= start:
                start, end = start - shift, end - shift
    boundaries = [
        m
        for m in re.finditer(
            r",\s(?:which|who|while|but|although|though|as|and|after|before|because|with|where|when)\b|;\s|\s[-–—]+\s",
            sentence,
        )
    ]
    for m in boundaries:
        if m.start() >= end and word_count(sentence[: m.start()]) >= 5:
            sentence = sentence[: m.start()]
            break
    for m in reversed(boundaries):
        if m.end() <= start and m.end() < len(sentence) and word_count(sentence[m.end() :]) >= 5:
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
