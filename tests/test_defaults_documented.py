"""The default abstention threshold is written in several places; they must agree.

The figure belongs to the shipped reader (it is calibrated on that reader's validation
slice, see `qa/reader_model/README.md`), but the assistant's default lives in
`qa/config.py` and the README quotes it. When a new reader ships with a new threshold,
this test fails until every copy says the same number.
"""

from __future__ import annotations

import re
from pathlib import Path

from qa.config import DEFAULT_READER_DIR, Settings

ROOT = Path(__file__).resolve().parents[1]


def test_model_card_default_threshold_is_the_config_default():
    card = (Path(DEFAULT_READER_DIR) / "README.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\|\s*\*\*([0-9.]+)\*\* \(default\)", card, flags=re.MULTILINE)
    assert rows == [f"{Settings().threshold:.2f}"], "the model card's '(default)' row must name the config default"


def test_readme_documents_the_config_threshold():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    documented = re.findall(r"`--threshold` \(([0-9.]+)\)", readme)
    assert documented == [f"{Settings().threshold:.2f}"]
