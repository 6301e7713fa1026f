"""Issue #18, defect 3: questions with ANSI escapes or control characters (NUL, BEL) were
read as they came and answered wrongly. `validate_question` cleans them, and the CLI,
the API (`Assistant.answer`, `qa.answer`) and the app all go through it."""

from __future__ import annotations

import pytest

from qa.assistant import validate_question
from qa.config import Settings
from qa.ui.service import AssistantService

CLEAN = "What was the UNGA vote?"
ESCAPED = "\x1b[31mWhat was the UNGA vote?\x1b[0m"


@pytest.mark.parametrize(
    "question",
    [
        ESCAPED,
        "What\x00 was the\x07 UNGA vote?",
        "What was\tthe\r\nUNGA vote?\x7f",
        "\x1b]0;window title\x07What was the \x1b[1;38;5;196mUNGA\x1b[m vote?",
        "\x1bcWhat was the \x9b1mUNGA vote?\x1b(B",
    ],
)
def test_escapes_and_control_characters_are_removed(question: str) -> None:
    assert validate_question(question) == CLEAN


def test_ordinary_unicode_is_kept() -> None:
    question = "Où est l’ONU ?  Zelenskyy’s “plan” — 5 €"
    assert validate_question(question) == "Où est l’ONU ? Zelenskyy’s “plan” — 5 €"


@pytest.mark.parametrize("question", ["\x00", "\x1b[0m\x07\x00", " \x1b[31m \x1b[0m "])
def test_only_control_characters_is_empty(question: str) -> None:
    with pytest.raises(ValueError, match="the question is empty"):
        validate_question(question)


def test_api_answers_an_escaped_question_like_the_clean_one(seed_assistant, monkeypatch) -> None:
    import qa
    import qa.assistant

    clean = seed_assistant.answer(CLEAN)
    escaped = seed_assistant.answer(ESCAPED, history=["\x1b[1mWhere was the vote?\x1b[0m"])
    assert escaped.question == CLEAN
    assert (escaped.text, escaped.citations) == (clean.text, clean.citations)
    monkeypatch.setattr(qa.assistant, "default_assistant", lambda: seed_assistant)
    assert qa.answer("\x00" + ESCAPED + "\x07").question == CLEAN
    with pytest.raises(ValueError, match="empty"):
        seed_assistant.answer("\x1b[0m\x00")


def test_app_path_answers_an_escaped_question_like_the_clean_one(seed_assistant) -> None:
    from qa.ui.app import _answer

    service = AssistantService(Settings(), lambda settings, progress: seed_assistant)
    service.start()
    assert service.wait(30)
    answer, _, _ = _answer(service, ESCAPED, [], None, None)
    assert answer.question == CLEAN and answer.citations and answer.citations[0].line == 4
