"""Question wording shared by the heuristic and spaCy generators.

The wh-phrases chosen for dates and organisations, the final tidy-up that makes a
question well formed, the filters that reject leaking or unanswerable questions, and the
word lists they rely on.
"""

from __future__ import annotations

import random
import re

MAX_QUESTION_WORDS = 24

MONTHS = (
    "january february march april may june july august september october november december "
    "jan feb mar apr jun jul aug sep sept oct nov dec"
).split()
WEEKDAYS = "monday tuesday wednesday thursday friday saturday sunday".split()
COMPANY_SUFFIXES = {"inc", "corp", "co", "ltd", "plc", "group", "corporation", "company",
                    "holdings", "industries", "ag", "sa", "nv", "llc", "bros", "motors", "airlines",
                    "airways", "telecom", "communications", "technologies", "systems"}  # fmt: skip
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
WH_WORDS = ("who", "whom", "what", "which", "when", "where", "how", "why", "whose", "since", "until", "by")


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
    if re.match(
        r"^(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten|several|a few)\b.*\b(?:days|weeks|months|years|hours)$",
        low,
    ):
        return "how long"
    return None


def org_wh(text: str, rng: random.Random) -> str:
    """A wh-phrase for an organisation, by the kind its name's last word gives away."""
    last = text.split()[-1].lower().strip(".,")
    if last in COMPANY_SUFFIXES:
        return "which company"
    if last in {"bank", "party", "university", "union", "council", "court", "newspaper", "agency", "club"}:
        return f"which {last}"
    return rng.choice(["which organisation", "what"])
