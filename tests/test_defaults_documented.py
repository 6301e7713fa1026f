"""The default abstention threshold is written in several places; they must agree.

The assistant's default lives in `qa/config.py`; the model card
(`qa/reader_model/README.md`) says how it was chosen and the README quotes it. When a new
reader ships or the default is re-chosen, this test fails until every copy says the same
number.
"""

from __future__ import annotations

import re
from pathlib import Path

from qa.config import DEFAULT_READER_DIR, Precision, Settings

ROOT = Path(__file__).resolve().parents[1]


def test_model_card_names_the_config_default():
    card = (Path(DEFAULT_READER_DIR) / "README.md").read_text(encoding="utf-8")
    named = re.findall(r"assistant's default threshold is \*\*([0-9.]+)\*\*", card)
    assert named == [f"{Settings().threshold:.2f}"], "the model card must name the config default once"


def test_readme_documents_the_config_threshold():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    documented = re.findall(r"`--threshold` \(([0-9.]+)\)", readme)
    assert documented == [f"{Settings().threshold:.2f}"]


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
    assert rows["threshold"] == f"`{defaults.threshold:.2f}`"
    assert rows["reader_precision"] == f"`{Precision.AUTO}`"  # unless $QA_READER_PRECISION says otherwise
