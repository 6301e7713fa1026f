"""The int8 reader's cache: built once per model, rebuilt when the model changes, never half-written."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

pytest.importorskip("onnxruntime")

from qa.reader import Reader, ReaderError
from qa.reader_int8 import CACHE_ENV, cache_key
from tests.tiny_reader import EXAMPLES, tiny_model


@pytest.fixture()
def cache(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))
    return tmp_path / "cache" / "reader-int8"


def test_built_once_then_reused(tmp_path, cache):
    model = tiny_model(tmp_path / "model", train_steps=0)
    Reader(model, precision="int8").warm_up()
    built = list(cache.iterdir())
    assert len(built) == 1 and built[0].suffix == ".onnx"  # no leftover temporary build directory
    stamp = built[0].stat().st_mtime_ns
    reader = Reader(model, precision="int8")
    reader.warm_up()
    assert [p.stat().st_mtime_ns for p in cache.iterdir()] == [stamp]
    question, passage, _ = EXAMPLES[0]
    assert reader.read(question, [passage])[0].text in passage


def test_changed_weights_get_a_new_copy(tmp_path, cache):
    model = tiny_model(tmp_path / "model", train_steps=0)
    before = cache_key(model)
    tiny_model(model, train_steps=2)  # same directory, retrained weights
    assert cache_key(model) != before
    Reader(model, precision="int8").warm_up()
    assert [p.stem for p in cache.iterdir()] == [cache_key(model)]


def test_unwritable_cache_is_a_clear_reader_error(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    monkeypatch.setenv(CACHE_ENV, str(blocker / "cache"))
    with pytest.raises(ReaderError, match=CACHE_ENV):
        Reader(tiny_model(tmp_path / "model", train_steps=0), precision="int8").warm_up()


def test_missing_onnxruntime_is_a_clear_reader_error(tmp_path, cache, monkeypatch):
    model = tiny_model(tmp_path / "model", train_steps=0)
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # import fails as if not installed
    with pytest.raises(ReaderError, match="onnxruntime"):
        Reader(model, precision="int8").warm_up()
