"""Resolving chat follow-ups ("How many abstained?") against earlier turns.

Nothing is invented: the resolved query only ever adds words the user already typed in
earlier turns. The earlier question is prepended for retrieval, so the passages about the
same event rank first; the reader then reads the follow-up exactly as typed. Appending the
earlier question's words to what the reader sees was measured to pull it back to the
earlier answer ("How many abstained? (UNGA vote)" -> "141 to 5" instead of "34").
"""

from __future__ import annotations

import re

# Words that point back to something said before.
ANAPHORA = {
    "it", "its", "they", "them", "their", "theirs", "he", "him", "his", "she", "her", "hers",
    "this", "that", "these", "those",
}
OPENERS = ("and ", "what about", "how about", "also", "but ", "so ", "then ")
STOPWORDS = {
    "a", "an", "the", "of", "to", "in", "on", "at", "for", "by", "with", "from", "as", "and", "or",
    "is", "are", "was", "were", "be", "been", "did", "do", "does", "has", "have", "had", "what",
    "which", "who", "whom", "whose", "when", "where", "why", "how", "many", "much", "that", "this",
    "it", "its", "they", "them", "their", "he", "she", "his", "her", "there", "about", "into", "than",
    "can", "could", "would", "should", "will", "say", "said", "says", "tell", "me", "us", "we", "you",
}
WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’\-]*")


def user_turns(history: list | None) -> list[str]:
    """Earlier user questions from plain strings or chat messages ({"role", "content"})."""
    turns: list[str] = []
    for item in history or []:
        if isinstance(item, str):
            text = item
        elif isinstance(item, dict) and item.get("role", "user") == "user":
            content = item.get("content")
            text = content if isinstance(content, str) else ""
        elif isinstance(item, (list, tuple)) and item and isinstance(item[0], str):
            text = item[0]  # (user, assistant) pairs
        else:
            continue
        if text and text.strip():
            turns.append(text.strip())
    return turns


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
