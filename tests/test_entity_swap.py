"""Entity-swap negatives: one detail of an answerable question changed so its paragraph no longer answers it."""

from __future__ import annotations

import pytest

from qa.squad import QAExample
from qa.train.entity_swap import SWAP_ID_SUFFIX, clean_entity, entity_swap_negatives, spacy_tagger, words_of
from qa.train.synthetic.spacy_answers import load_spacy

PARIS = "Paris hosted the 1900 Summer Olympics, the first Games to include women, with 997 athletes."
TOKYO = "Tokyo hosted the 1964 Summer Olympics, the first Games held in Asia."


def _qa(id_: str, question: str, context: str, answer: str, title: str = "Olympics") -> QAExample:
    return QAExample(id_, question, context, ((answer, context.index(answer)),), title=title)


EXAMPLES = [
    _qa("squad_v1_train/1", "Which city hosted the 1900 Summer Olympics?", PARIS, "Paris"),
    _qa("squad_v1_train/2", "How many athletes took part in Paris?", PARIS, "997"),
    _qa("squad_v1_train/3", "Which city hosted the 1964 Summer Olympics?", TOKYO, "Tokyo"),
    _qa("squad_v1_train/4", "Which Games were the first held in Asia?", TOKYO, "the 1964 Summer Olympics"),
]


def table_tagger(questions: list[str]):
    """A stand-in for spaCy: tags the years and the city names it knows."""
    known = {"1900": "DATE", "1964": "DATE", "Paris": "GPE", "Tokyo": "GPE", "Asia": "LOC"}
    for question in questions:
        yield [
            (word, question.index(word), question.index(word) + len(word), label)
            for word, label in known.items()
            if word in question
        ]


def test_every_negative_changes_one_mentioned_detail_to_one_its_paragraph_lacks():
    negatives = entity_swap_negatives(EXAMPLES, fraction=1.0, seed=13, tagger=table_tagger)
    by_id = {e.id: e for e in EXAMPLES}
    assert negatives, "questions naming a year or a city of their paragraph must yield negatives"
    for negative in negatives:
        original = by_id[negative.id.removesuffix(SWAP_ID_SUFFIX)]
        assert negative.id.endswith(SWAP_ID_SUFFIX)
        assert negative.is_impossible and negative.answers == ()
        assert negative.context == original.context and negative.question != original.question
        kept = [w for w in original.question.split() if w in negative.question.split()]
        assert len(kept) == len(original.question.split()) - 1, "exactly one word is swapped"
        swapped_in = (set(negative.question.split()) - set(original.question.split())).pop().rstrip("?")
        assert not words_of(swapped_in) & words_of(negative.context)
    swapped = {n.id: n.question for n in negatives}
    assert swapped["squad_v1_train/1/swap"] == "Which city hosted the 1964 Summer Olympics?"
    assert swapped["squad_v1_train/3/swap"] == "Which city hosted the 1900 Summer Olympics?"


def test_negatives_are_reproducible_and_scale_with_fraction():
    first = entity_swap_negatives(EXAMPLES, fraction=1.0, seed=13, tagger=table_tagger)
    assert first == entity_swap_negatives(EXAMPLES, fraction=1.0, seed=13, tagger=table_tagger)
    assert entity_swap_negatives(EXAMPLES, fraction=0.0, seed=13, tagger=table_tagger) == []


def test_a_replacement_sharing_a_word_with_the_paragraph_is_not_absent():
    paragraph = words_of("Setanta won four of the six packages.")
    assert words_of("Setanta Sports") & paragraph and not words_of("Sky Sports") & paragraph
    assert clean_entity("the Western Hemisphere") == "Western Hemisphere"
    assert clean_entity("Michael Eisner's") == "Michael Eisner"


def test_spacy_tagger_finds_the_entities_to_swap():
    nlp = load_spacy()
    if nlp is None:
        pytest.skip("spaCy English pipeline not installed (the [synthetic] extra)")
    [entities] = list(spacy_tagger(nlp)(["Which city hosted the 1900 Summer Olympics in France?"]))
    labels = {text: label for text, _, _, label in entities}
    assert labels.get("France") == "GPE"
    assert any("1900" in text for text in labels)
