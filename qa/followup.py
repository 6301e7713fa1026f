"""Resolving chat follow-ups ("How many abstained?") against earlier turns.

Nothing is invented: the resolved query only ever adds words the user already typed in
earlier turns. The earlier question is prepended for retrieval, so the passages about the
same event rank first; the reader then reads the follow-up exactly as typed. Appending the
earlier question's words to what the reader sees was measured to pull it back to the
earlier answer ("How many abstained? (UNGA vote)" -> "141 to 5" instead of "34").

A follow-up also stays with the article(s) the previous answer cited: history entries
may carry that answer's sources (`Turn`, or an `Answer.to_dict()` / chat message with
"citations"), and `new_names` says when a follow-up names something those articles never
mention, so it is searched for across the whole corpus instead.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

# Words that point back to something said before.
ANAPHORA = {
    "it",
    "its",
    "they",
    "them",
    "their",
    "theirs",
    "he",
    "him",
    "his",
    "she",
    "her",
    "hers",
    "this",
    "that",
    "these",
    "those",
}
OPENERS = ("and ", "what about", "how about", "also", "but ", "so ", "then ")
STOPWORDS = {
    "a",
    "an",
    "the",
    "of",
    "to",
    "in",
    "on",
    "at",
    "for",
    "by",
    "with",
    "from",
    "as",
    "and",
    "or",
    "is",
    "are",
    "was",
    "were",
    "be",
    "been",
    "did",
    "do",
    "does",
    "has",
    "have",
    "had",
    "what",
    "which",
    "who",
    "whom",
    "whose",
    "when",
    "where",
    "why",
    "how",
    "many",
    "much",
    "that",
    "this",
    "it",
    "its",
    "they",
    "them",
    "their",
    "he",
    "she",
    "his",
    "her",
    "there",
    "about",
    "into",
    "than",
    "can",
    "could",
    "would",
    "should",
    "will",
    "say",
    "said",
    "says",
    "tell",
    "me",
    "us",
    "we",
    "you",
}
WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’\-]*")


@dataclass(frozen=True)
class Turn:
    """An earlier question and, when the caller knows them, the sources its answer cited.

    `sources` is None when the history did not say (a plain string); an empty tuple when
    the answer cited nothing (it abstained).
    """

    question: str
    sources: tuple[str, ...] | None = None


def _sources(citations: object) -> tuple[str, ...] | None:
    """Cited sources, in order, from a list of citation dicts, `Citation`s or source strings."""
    if not isinstance(citations, (list, tuple)):
        return None
    found: list[str] = []
    for citation in citations:
        source = (
            citation
            if isinstance(citation, str)
            else (citation.get("source") if isinstance(citation, dict) else getattr(citation, "source", None))
        )
        if isinstance(source, str) and source and source not in found:
            found.append(source)
    return tuple(found)


def _cited(item: dict) -> tuple[str, ...] | None:
    """The sources an answer-shaped dict cites ("citations" as in `Answer.to_dict()`, or "sources")."""
    for key in ("citations", "sources"):
        if key in item:
            return _sources(item[key])
    return None


def conversation(history: Iterable | None) -> list[Turn]:
    """Earlier turns, oldest first, from any history shape the API, CLI and UI pass.

    Accepted entries: plain strings (questions); `Turn`s; chat messages ({"role",
    "content"}), where an assistant message with "citations" or "sources" gives the
    preceding question's sources; answer dicts with "question" and "citations" (what
    `Answer.to_dict()` returns); and (user, assistant) pairs.
    """
    turns: list[Turn] = []
    for item in history or []:
        sources: tuple[str, ...] | None = None
        if isinstance(item, Turn):
            text, sources = item.question, item.sources
        elif isinstance(item, str):
            text = item
        elif isinstance(item, dict) and item.get("role") == "assistant":
            cited = _cited(item)
            if turns and cited is not None:
                turns[-1] = Turn(turns[-1].question, cited)
            continue
        elif isinstance(item, dict) and "role" not in item and isinstance(item.get("question"), str):
            text, sources = item["question"], _cited(item)
        elif isinstance(item, dict) and item.get("role", "user") == "user":
            content = item.get("content")
            text = content if isinstance(content, str) else ""
        elif isinstance(item, (list, tuple)) and item and isinstance(item[0], str):
            text = item[0]  # (user, assistant) pairs
        else:
            continue
        if text and text.strip():
            turns.append(Turn(text.strip(), sources))
    return turns


def user_turns(history: Iterable | None) -> list[str]:
    """Earlier user questions from plain strings or chat messages ({"role", "content"})."""
    return [turn.question for turn in conversation(history)]


def content_words(text: str) -> list[str]:
    return [w for w in WORD.findall(text) if w.lower() not in STOPWORDS]


def is_follow_up(question: str) -> bool:
    """True when the question leans on earlier turns: a pointing word, an opener, or few content words."""
    lowered = question.lower().strip()
    words = {w.lower() for w in WORD.findall(lowered)}
    return bool(words & ANAPHORA) or lowered.startswith(OPENERS) or len(content_words(question)) <= 1


def resolve(question: str, history: list | None) -> str:
    """The retrieval query for `question` given earlier user turns."""
    turns = user_turns(history)
    if not turns or not is_follow_up(question):
        return question
    previous = turns[-1]
    # a chain of follow-ups keeps the topic of the question that started it
    for earlier in reversed(turns[:-1]):
        if not is_follow_up(previous):
            break
        previous = f"{earlier} {previous}"
    return f"{previous} {question}"


def names(question: str) -> list[str]:
    """Words of `question` that name something: capitalised after the first word, or any
    word with a digit or a capital past its first letter (UNGA, G7, McCain).

    The first word is capitalised by grammar ("Describe it", "Putin?" alike), so it only
    counts on the second test. A possessive's "'s" (or plural "'") is dropped, and a
    hyphenated pair of capitalised words counts as its two names.
    """
    words = WORD.findall(question)
    found = []
    for position, word in enumerate(words):
        word = re.sub(r"['’]s?$", "", word)  # "Russia's", "the Philippines'"
        # a hyphenated pair of names is two names: "January-March" may be "January to March"
        parts = word.split("-") if re.fullmatch(r"[A-Z][a-z]+(?:-[A-Z][a-z]+)+", word) else [word]
        for part in parts:
            if not part or part.lower() in STOPWORDS:
                continue
            inner = any(ch.isdigit() for ch in part) or any(ch.isupper() for ch in part[1:])
            if inner or (position > 0 and part[0].isupper()):
                found.append(part)
    return found


def new_names(question: str, text: str) -> list[str]:
    """Names in `question` (see `names`) that `text` never mentions, case-insensitively.

    A name matches at the start of a word of `text`, so "Russia" is found in "Russian"
    and "Zelensky" in "Zelenskyy".
    """
    lowered = text.lower()
    return [name for name in names(question) if not re.search(r"(?<![A-Za-z0-9])" + re.escape(name.lower()), lowered)]
