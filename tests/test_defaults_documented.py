"""Each bundled reader's abstention threshold is written in several places; they must agree.

A reader's threshold lives in its `newsqa.json` (`qa.config.reader_threshold`); its model
card says how it was chosen and the README quotes the default reader's. When a reader
ships or a threshold is re-chosen, this test fails until every copy says the same number.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from qa.config import BUNDLED_READERS, Precision, Settings, reader_threshold

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = {name: path for name, path in BUNDLED_READERS.items() if (path / "README.md").exists()}


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_model_card_names_its_readers_threshold(name):
    card = (SHIPPED[name] / "README.md").read_text(encoding="utf-8")
    named = re.findall(r"assistant's default threshold is \*\*([0-9.]+)\*\*", card)
    assert named == [f"{reader_threshold(SHIPPED[name]):.2f}"], "the model card must name newsqa.json's threshold once"


def test_the_default_settings_abstain_at_the_default_readers_threshold():
    assert Settings().threshold is None
    assert Settings().abstain_below == reader_threshold(Settings().reader_path)


def test_readme_documents_the_config_threshold():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    documented = re.findall(r"`--threshold` \(([0-9.]+) with the default reader\)", readme)
    assert documented == [f"{Settings().abstain_below:.2f}"]


def test_readme_documents_every_setting_with_its_default():
    """Every knob that changes answers is a Settings field, and the README's table names it."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    rows = dict(re.findall(r"^\| `(\w+)` \| (.+?) \|", readme, flags=re.M))
    defaults = Settings()
    assert set(rows) == set(Settings.__dataclass_fields__)
    for name in (
        "chunk_tokens",
        "chunk_overlap",
        "top_k",
        "retrieval",
        "reader_max_length",
        "reader_stride",
        "max_answer_tokens",
        "index_dir",
        "corpus_dir",
    ):
        assert rows[name] == f"`{getattr(defaults, name)}`", name
    assert rows["threshold"] == f"the reader's own (`{defaults.abstain_below:.2f}` for the default)"
    assert rows["reader_precision"] == f"`{Precision.AUTO}`"  # unless $QA_READER_PRECISION says otherwise
