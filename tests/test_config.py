"""`Settings` is the one source of truth: typed, validated, and round-tripped through JSON
into the index manifest and the eval report."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from qa.config import PRECISION_ENV, Precision, Retrieval, Settings, SettingsError

ROOT = Path(__file__).resolve().parents[1]
CHANGED = Settings(
    corpus_dir=Path("corpus"),
    index_dir=Path("/tmp/some-index"),
    embedder_path=Path("/models/minilm"),
    chunk_tokens=96,
    chunk_overlap=8,
    top_k=7,
    retrieval=Retrieval.HYBRID,
    threshold=0.25,
    reader_precision=Precision.INT8,
    reader_max_length=256,
    reader_stride=64,
    max_answer_tokens=12,
)


@pytest.mark.parametrize("settings", [Settings(), CHANGED], ids=["defaults", "changed"])
def test_settings_round_trip_through_json(settings):
    data = json.loads(json.dumps(settings.to_dict()))
    assert Settings.from_dict(data) == settings
    assert data["retrieval"] == str(settings.retrieval) and isinstance(data["index_dir"], str)


def test_every_field_is_serialised():
    assert set(CHANGED.to_dict()) == set(Settings.__dataclass_fields__)
    assert all(CHANGED.to_dict()[name] != Settings().to_dict()[name] for name in ("retrieval", "reader_precision"))


def test_strings_become_the_typed_choices_and_paths():
    settings = Settings(retrieval="dense", reader_precision="FP32", index_dir="idx")
    assert settings.retrieval is Retrieval.DENSE and settings.reader_precision is Precision.FP32
    assert settings.index_dir == Path("idx")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"retrieval": "psychic"}, "retrieval must be one of bm25, hybrid, dense"),
        ({"reader_precision": "fp8"}, "reader_precision must be one of auto, fp32, bf16, int8"),
        ({"threshold": 3}, "threshold must be"),
        ({"reader_stride": 300}, "reader_stride must be"),
        ({"colour": "blue"}, "unknown settings: colour"),
    ],
)
def test_from_dict_validates_like_the_constructor(data, message):
    with pytest.raises(SettingsError, match=message):
        Settings.from_dict(data)


def test_precision_environment_variable_overrides_only_the_default(monkeypatch):
    monkeypatch.setenv(PRECISION_ENV, "int8")
    assert Settings().reader_precision is Precision.INT8
    assert Settings(reader_precision="fp32").reader_precision is Precision.FP32
    monkeypatch.setenv(PRECISION_ENV, "fp8")
    with pytest.raises(SettingsError, match=PRECISION_ENV):
        Settings()


def test_importing_the_config_changes_no_environment_variable():
    code = "import os; before = dict(os.environ); import qa.config; print(dict(os.environ) == before)"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "TRANSFORMERS_", "TOKENIZERS_"))}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env, check=True)
    assert out.stdout.strip() == "True"


def test_the_index_manifest_records_the_settings(tmp_path, seed_corpus):
    from qa.store import CorpusIndex

    settings = Settings(top_k=3, threshold=0.3, retrieval="hybrid")
    index, _ = CorpusIndex.open(tmp_path / "index", [seed_corpus], settings, bar=False)
    generation = tmp_path / "index" / (tmp_path / "index" / "CURRENT").read_text()
    manifest = json.loads((generation / "manifest.json").read_text())
    assert Settings.from_dict(manifest["settings"]) == settings == index.settings


def test_the_eval_report_records_the_settings():
    from qa.evaluate import report, runner
    from qa.evaluate.datasets import EvalQuestion, QuestionSet

    class EchoReader:
        def read(self, question, passages):
            return []

    qset = QuestionSet(
        questions=[EvalQuestion(id="q", question="Who?", answers=("x",), contexts=())], kind="squad", name="one"
    )
    options = runner.EvalOptions(
        mode="reader", threshold=0.4, precision="fp32", reader_object=EchoReader(), progress=False
    )
    run = runner.evaluate(qset, options)
    stored = json.loads(json.dumps(report.build(run)))["meta"]["settings"]
    assert Settings.from_dict(stored) == Settings(threshold=0.4, reader_precision="fp32")


def test_bundled_readers_are_named_and_a_path_is_still_a_path(tmp_path):
    from qa.config import ACCURATE_READER_DIR, FAST_READER_DIR

    assert Settings(reader_path="fast").reader_path == FAST_READER_DIR
    assert Settings(reader_path=Path("accurate")).reader_path == ACCURATE_READER_DIR
    assert Settings(reader_path=Path.cwd() / "fast").reader_path == Path.cwd() / "fast"  # a folder called fast
    assert Settings(reader_path=tmp_path).reader_path == tmp_path


def test_a_reader_folder_is_named_by_its_bundled_name_whatever_the_path(tmp_path, monkeypatch):
    from qa import config

    assert config.bundled_name(config.FAST_READER_DIR / ".." / config.FAST_READER_DIR.name) == "fast"
    assert config.bundled_name(tmp_path) is None
    assert config.default_reader_name() == config.bundled_name(config.DEFAULT_READER_DIR) == "accurate"
    monkeypatch.setattr(config, "DEFAULT_READER_DIR", tmp_path)  # a default outside the bundle
    assert config.default_reader_name() == str(tmp_path)


def test_the_threshold_is_the_readers_own_unless_set(tmp_path):
    from qa.config import DEFAULT_THRESHOLD

    strict, plain = tmp_path / "strict", tmp_path / "plain"
    strict.mkdir()
    plain.mkdir()
    (strict / "newsqa.json").write_text(json.dumps({"threshold": 0.9}))
    settings = Settings(reader_path=strict)
    assert settings.threshold is None and settings.abstain_below == 0.9
    assert settings.with_overrides(reader_path=plain).abstain_below == DEFAULT_THRESHOLD  # follows the reader
    assert settings.with_overrides(threshold=0.3).abstain_below == 0.3  # a threshold set wins


def test_the_readers_threshold_is_read_once_per_settings_not_per_answer(tmp_path):
    (tmp_path / "newsqa.json").write_text(json.dumps({"threshold": 0.9}))
    settings = Settings(reader_path=tmp_path)
    (tmp_path / "newsqa.json").write_text(json.dumps({"threshold": 0.2}))
    assert settings.abstain_below == 0.9  # answering does not go back to the file
    assert settings.with_overrides(top_k=3).abstain_below == 0.2  # new settings read it anew


@pytest.mark.parametrize("text", ["{not json", '{"threshold": 2}', '["threshold"]'])
def test_a_bad_reader_threshold_file_is_an_error_naming_it_when_the_settings_are_made(tmp_path, text):
    (tmp_path / "newsqa.json").write_text(text)
    with pytest.raises(SettingsError, match="newsqa.json"):
        Settings(reader_path=tmp_path)
