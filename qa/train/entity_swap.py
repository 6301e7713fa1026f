"""Unanswerable questions made by swapping one name or number in an answerable question.

Paragraph-swap negatives (`data.paragraph_swap_negatives`) pair a question with another
paragraph; the reader learns to spot a passage about something else. SQuAD v2.0's
unanswerable questions are harder: the passage is the right one and the question
differs from an answerable one by a single detail (about a fifth of them are entity
swaps, Rajpurkar et al. 2018). Reader v3 abstains on only 26 % of those at the
threshold keeping 90 % of answerables (0.50), and, measured on the 214 negatives made
here from its validation slice's human-written questions, on only 38 % at 0.50 (52 % at
its default 0.89): it answers whenever most of the question's words match a sentence.

Here a named entity or number of the question that the paragraph mentions is replaced
by another of the same spaCy type, taken from questions about the same article (else
the same source), that the paragraph never mentions. The passage then no longer
answers it: the reader has to check every detail, not the overlap. spaCy is a
training-time dependency (the `synthetic` extra).
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterable
from dataclasses import replace

from qa.squad import QAExample

# spaCy entity types worth swapping: a replacement of the same type keeps the question fluent.
SWAP_LABELS = frozenset({
    "PERSON", "ORG", "GPE", "LOC", "NORP", "FAC", "EVENT", "WORK_OF_ART", "LAW", "PRODUCT",
    "LANGUAGE", "DATE", "TIME", "CARDINAL", "MONEY", "PERCENT", "QUANTITY",
})  # fmt: skip
SWAP_ID_SUFFIX = "/swap"
_WORD = re.compile(r"[0-9A-Za-z]+")
_LEADING_THE = re.compile(r"^the\s+", re.IGNORECASE)
_POSSESSIVE = re.compile(r"['’]s$")


def clean_entity(text: str) -> str:
    """The entity as a replacement: no leading "the" or trailing "'s" (the question keeps its own)."""
    return _POSSESSIVE.sub("", _LEADING_THE.sub("", text.strip())).strip()


def words_of(text: str) -> set[str]:
    """Lower-cased whole words: a replacement is safe only if it shares none with the
    paragraph, stricter than a substring test ("Setanta Sports" is no safe swap into a
    paragraph that says "Setanta", which may still answer the question)."""
    return {w.lower() for w in _WORD.findall(text)}


def _digits_match(original: str, replacement: str) -> bool:
    """Numbers swap with numbers, words with words ("in 1990" must not become "in two-year")."""
    return any(c.isdigit() for c in original) == any(c.isdigit() for c in replacement)


Entities = list[tuple[str, int, int, str]]  # (text, start_char, end_char, label) in the question
Tagger = Callable[[list[str]], Iterable[Entities]]


def spacy_tagger(nlp) -> Tagger:
    """Named entities of each question, from a loaded spaCy pipeline (NER only, batched)."""

    def tag(questions: list[str]) -> Iterable[Entities]:
        with nlp.select_pipes(enable=[p for p in ("tok2vec", "ner") if p in nlp.pipe_names]):
            for doc in nlp.pipe(questions, batch_size=256):
                yield [(e.text, e.start_char, e.end_char, e.label_) for e in doc.ents if e.label_ in SWAP_LABELS]

    return tag


def entity_swap_negatives(examples: list[QAExample], fraction: float, seed: int, tagger: Tagger) -> list[QAExample]:
    """Unanswerable copies of about `fraction` of the answerable `examples` (same paragraph,
    one entity of the question swapped); deterministic for a given `seed`."""
    rng = random.Random(f"entity-swap/{seed}")  # not the paragraph-swap stream: pick other questions
    # choose first, then tag only the chosen: spaCy over every question costs minutes
    chosen = [e for e in examples if not e.is_impossible and e.answers and rng.random() < fraction]
    if not chosen:
        return []
    tagged = list(tagger([e.question for e in chosen]))
    pools: dict[tuple, dict[str, set[str]]] = {}  # replacements: entities of the other chosen questions
    for example, entities in zip(chosen, tagged):
        source = example.source
        for text, _, _, label in entities:
            name = clean_entity(text)
            if name:
                for key in ((source, example.title), (source,)):
                    pools.setdefault(key, {}).setdefault(label, set()).add(name)
    negatives = []
    for example, entities in zip(chosen, tagged):
        lowered = example.context.lower()
        mentioned = [
            (text, start, label, name)
            for text, start, _, label in entities
            if (name := clean_entity(text)) and name.lower() in lowered
        ]
        if not mentioned:
            continue
        text, start, label, original = mentioned[rng.randrange(len(mentioned))]
        source = example.source
        context_words = words_of(example.context)
        for key in ((source, example.title), (source,)):
            candidates = sorted(
                name
                for name in pools.get(key, {}).get(label, ())
                if not words_of(name) & context_words and _digits_match(original, name)
            )
            if candidates:
                break
        else:
            continue
        at = text.find(original) + start  # swap the cleaned entity, keep "the" / "'s" around it
        question = example.question[:at] + rng.choice(candidates) + example.question[at + len(original) :]
        negatives.append(
            replace(example, id=f"{example.id}{SWAP_ID_SUFFIX}", question=question, answers=(), is_impossible=True)
        )
    return negatives
