"""Issue #18, defect 4: `--threshold nan` or `-1` was accepted (unanswerable questions got
answers) and `--threshold 2` abstained on everything. Every numeric setting is checked
in one place, `Settings`; the CLI prints one error line, the app shows the message."""

from __future__ import annotations

import importlib.util
import math
import sys
import types
from pathlib import Path

import pytest

from qa.cli import main
from qa.config import Settings
from qa.ui.service import AssistantService

ROOT = Path(__file__).resolve().parents[2]
BAD = [
    ({"threshold": math.nan}, "threshold"),
    ({"threshold": -1.0}, "threshold"),
    ({"threshold": 2.0}, "threshold"),
    ({"threshold": math.inf}, "threshold"),
    ({"top_k": 0}, "top_k"),
    ({"top_k": 1000}, "top_k"),
    ({"top_k": 2.5}, "top_k"),
    ({"chunk_tokens": 8}, "chunk_tokens"),
    ({"chunk_tokens": 1024}, "chunk_tokens"),
    ({"chunk_overlap": -1}, "chunk_overlap"),
    ({"chunk_overlap": 128}, "chunk_overlap"),
    ({"max_answer_tokens": 0}, "max_answer_tokens"),
]


@pytest.mark.parametrize(("changes", "name"), BAD)
def test_out_of_range_settings_are_refused(changes: dict, name: str) -> None:
    with pytest.raises(ValueError, match=f"^{name} must be"):
        Settings(**changes)
    with pytest.raises(ValueError, match=f"^{name} must be"):
        Settings().with_overrides(**changes)


def test_the_error_is_a_newsqa_error() -> None:
    from qa.config import SettingsError
    from qa.errors import NewsQAError

    with pytest.raises(SettingsError) as caught:
        Settings(threshold=math.nan)
    assert isinstance(caught.value, NewsQAError) and isinstance(caught.value, ValueError)


def test_edge_values_are_fine() -> None:
    Settings(threshold=0.0, top_k=1, chunk_tokens=16, chunk_overlap=0, max_answer_tokens=1)
    Settings(threshold=1.0, top_k=50, chunk_tokens=256, chunk_overlap=255)


@pytest.mark.parametrize(
    "flags",
    [
        ["--threshold", "nan"],
        ["--threshold", "-1"],
        ["--threshold", "2"],
        ["--top-k", "0"],
        ["--top-k", "500"],
        ["--chunk-tokens", "8"],
        ["--chunk-overlap", "300"],
    ],
)
def test_cli_prints_one_error_line_and_exits_2(flags: list[str], seed_corpus, tmp_path, capsys) -> None:
    index_dir = tmp_path / "index"
    code = main(["ask", "What was the UNGA vote?", "--corpus", str(seed_corpus), "--index", str(index_dir), *flags])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and err[0].startswith("error: ") and " must be " in err[0]
    assert not index_dir.exists()  # refused before any work


def test_qa_index_refuses_bad_chunking(seed_corpus, tmp_path, capsys) -> None:
    assert main(["index", str(seed_corpus), "--index", str(tmp_path / "i"), "--chunk-tokens", "4"]) == 2
    assert capsys.readouterr().err.startswith("error: chunk_tokens must be a whole number from 16 to 256")


def test_api_refuses_bad_per_question_overrides(seed_assistant) -> None:
    for changes in ({"threshold": math.nan}, {"threshold": -1}, {"top_k": 0}, {"top_k": 10_000}):
        with pytest.raises(ValueError, match="must be"):
            seed_assistant.answer("What was the UNGA vote?", **changes)


def test_app_reports_a_bad_setting_instead_of_crashing() -> None:
    service = AssistantService(Settings(), lambda settings, progress: object())
    assert not service.reload(threshold=math.nan)
    assert "threshold must be a number from 0 to 1" in (service.status().error or "")


def test_app_command_line_prints_one_error_line_and_exits_2(monkeypatch, capsys) -> None:
    launched = []
    monkeypatch.setitem(sys.modules, "qa.ui.app", types.SimpleNamespace(launch=lambda *a, **k: launched.append(a)))
    spec = importlib.util.spec_from_file_location("newsqa_app_script", ROOT / "app.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    with pytest.raises(SystemExit) as exited:
        script.main(["--threshold", "2"])
    assert exited.value.code == 2 and not launched
    assert capsys.readouterr().err.strip() == "error: threshold must be a number from 0 to 1, got 2.0"
