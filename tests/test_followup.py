"""Follow-up resolution only ever borrows words the user typed earlier."""

from __future__ import annotations

from qa.followup import is_follow_up, resolve, user_turns


def test_standalone_question_is_untouched():
    assert resolve("What was the UNGA vote?", ["Who hosts the talks?"]) == "What was the UNGA vote?"


def test_short_or_pointing_questions_are_follow_ups():
    assert is_follow_up("How many abstained?")
    assert is_follow_up("Who said that?")
    assert is_follow_up("And Kharkiv?")
    assert not is_follow_up("Which city did Russia claim to have seized amid stiff resistance?")


def test_follow_up_borrows_earlier_words_only():
    query = resolve("How many abstained?", ["What was the UNGA vote?"])
    assert query == "What was the UNGA vote? How many abstained?"


def test_chain_of_follow_ups_keeps_the_topic():
    query = resolve("And against?", ["What was the UNGA vote?", "How many abstained?"])
    assert "UNGA" in query


def test_history_formats():
    assert user_turns(["a", {"role": "assistant", "content": "x"}, {"role": "user", "content": "b"}, ("c", "y")]) == [
        "a",
        "b",
        "c",
    ]
    assert resolve("How many abstained?", None) == "How many abstained?"
