"""newsqa: extractive question answering over news articles, with line-level citations.

    from qa import Assistant, answer
    bot = Assistant.from_corpus("seeds/")
    r = bot.answer("What was the UNGA vote?")
    r.text, r.score, r.abstained, r.citations
    answer("What was the vote?", since="2022-03-01", until="2022-03-31", sources=["uploads/"])

Model libraries (torch, transformers, sentence-transformers) load when a model does, on
`Assistant.warm_up()` or the first answer that needs it, so `import qa` is cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

__all__ = ["Answer", "Assistant", "Citation", "Filter", "Settings", "answer"]

if TYPE_CHECKING:
    from qa.assistant import Assistant, answer
    from qa.config import Settings
    from qa.types import Answer, Citation, Filter


def __getattr__(name: str):
    if name in ("Assistant", "answer"):
        from qa import assistant

        return getattr(assistant, name)
    if name == "Settings":
        from qa.config import Settings

        return Settings
    if name in ("Answer", "Citation", "Filter"):
        from qa import types

        return getattr(types, name)
    raise AttributeError(f"module 'qa' has no attribute {name!r}")
