"""Generation: contexts of each story, chosen questions, negatives, SQuAD v2.0 output.

Ties the corpus, the two question generators and the negatives together, one RNG per
article so that output depends only on the seed and the article, not on batching.
"""

from __future__ import annotations

import random
import re
import sys
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from qa.chunk import split_sentences
from qa.train.synthetic.corpus import NewsArticle, SeedGuard, make_contexts
from qa.train.synthetic.heuristic import heuristic_candidates, heuristic_question
from qa.train.synthetic.negatives import add_negatives
from qa.train.synthetic.questions import lexical_overlap, question_ok
from qa.train.synthetic.spacy_answers import spacy_candidates
from qa.train.synthetic.spacy_questions import spacy_question

# How much each answer type is wanted when choosing among a paragraph's candidates:
# noun phrases and names are the bulk of real questions, numbers are easy to over-produce.
TYPE_WEIGHTS = {
    "PERSON": 1.3, "ORG": 1.1, "GPE": 0.9, "LOC": 0.9, "FAC": 0.8, "DATE": 1.0, "TIME": 0.6,
    "MONEY": 0.8, "PERCENT": 0.6, "CARDINAL": 0.8, "QUANTITY": 0.6, "EVENT": 0.8,
    "PRODUCT": 0.7, "WORK_OF_ART": 0.8, "LAW": 0.7, "NOUN_PHRASE": 0.3,
}  # fmt: skip
STYLE_WEIGHTS = {"subject": 1.0, "moved": 1.2, "cloze": 0.3}


@dataclass
class Generated:
    """A question for one answer span of one context."""

    question: str
    answer: str
    start: int
    label: str
    style: str  # "subject" (wh in place of the subject), "moved" (fronted), "cloze" (in situ)
    sentence: str = ""


@dataclass
class GenerationStats:
    """Counts reported after a run: what was made, of which answer types and question styles."""

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


def _article_rng(seed: int, article: NewsArticle) -> random.Random:
    """An RNG of its own per article, so output does not depend on batching or order."""
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
        chosen.append(option)
        used_answers.add(option.answer.lower())
        used_sentences[option.sentence] += 1
    return chosen


def _lines_with_offsets(text: str) -> Iterator[tuple[int, str]]:
    offset = 0
    for line in text.split("\n"):
        yield offset, line
        offset += len(line) + 1


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
        from tqdm import tqdm

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
        paragraphs: list[dict[str, Any]] = [{"context": c, "qas": []} for c in contexts]
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
        stats.negatives += add_negatives(contexts, paragraphs, positives, rng, negative_ratio)
        paragraphs = [p for p in paragraphs if p["qas"]]
        if paragraphs:
            stats.articles += 1
            stats.contexts += len(paragraphs)
            data.append({"title": f"{article.corpus}/{article.id}: {article.title}", "paragraphs": paragraphs})
    return {"version": "v2.0", "synthetic": "news cloze-to-question", "data": data}, stats


def iter_examples(squad: dict) -> Iterator[tuple[str, dict]]:
    """(context, qa) pairs of SQuAD-format data, answerable and unanswerable alike."""
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
