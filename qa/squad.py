"""Reading extractive-QA data in the SQuAD JSON format (v1.1 and v2.0).

Shared by reader training (qa.train) and the evaluator: one loader, one record type.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class QAExample:
    """One question over one context; `answers` holds (text, char_start) references."""

    id: str
    question: str
    context: str
    answers: tuple[tuple[str, int], ...]
    title: str = ""
    article: int = 0  # index of the article in its file (for fixed splits)
    is_impossible: bool = False

    @property
    def source(self) -> str:
        """The part of the id before the first "/": the training loaders prefix every id
        with the source it came from (see `qa.train.data.load_sources`)."""
        return self.id.split("/", 1)[0]


def load_squad(path: Path, articles: Collection[int] | None = None, fix_offsets: bool = False) -> list[QAExample]:
    """Load a SQuAD-format file, optionally only the articles whose index is in `articles`.

    `fix_offsets` repairs answers whose `answer_start` is off by a few characters (COVID-QA
    has leading-space shifts): each answer is searched near its stated start, stripped,
    and dropped if it cannot be found, so every kept answer satisfies
    ``context[start:start + len(text)] == text``.
    """
    data = json.loads(Path(path).read_text(encoding="utf-8"))["data"]
    examples: list[QAExample] = []
    for a_idx, article in enumerate(data):
        if articles is not None and a_idx not in articles:
            continue
        title = article.get("title", "")
        for paragraph in article["paragraphs"]:
            context = paragraph["context"]
            for qa in paragraph["qas"]:
                impossible = bool(qa.get("is_impossible", False))
                answers = []
                for ans in qa.get("answers", []):
                    located = _locate(context, ans["text"], int(ans["answer_start"]), fix_offsets)
                    if located is not None:
                        answers.append(located)
                if not impossible and not answers:
                    continue
                examples.append(
                    QAExample(
                        id=str(qa["id"]),
                        question=qa["question"].strip(),
                        context=context,
                        answers=tuple(answers),
                        title=title,
                        article=a_idx,
                        is_impossible=impossible,
                    )
                )
    return examples


def article_titles(path: Path, articles: range) -> set[str]:
    """Titles of the articles with the given indexes (to carry a split across file versions)."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))["data"]
    return {data[i]["title"] for i in articles if i < len(data)}


def _locate(context: str, text: str, start: int, fix: bool) -> tuple[str, int] | None:
    if context[start : start + len(text)] == text:
        if not fix:
            return text, start
    elif not fix:
        return None
    stripped = text.strip()
    if not stripped:
        return None
    lead = len(text) - len(text.lstrip())
    for delta in (lead, 0, 1, 2, 3, -1, -2, -3, lead + 1, lead + 2, lead + 3):
        s = start + delta
        if s >= 0 and context[s : s + len(stripped)] == stripped:
            return stripped, s
    return None
