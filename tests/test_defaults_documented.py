"""The default abstention threshold is written in several places; they must agree.

The assistant's default lives in `qa/config.py`; the model card
(`qa/reader_model/README.md`) says how it was chosen and the README quotes it. When a new
reader ships or the default is re-chosen, this test fails until every copy says the same
number.
"""

from __future__ import annotations

import re
from pathlib import Path

from qa.config import DEFAULT_READER_DIR, Settings

ROOT = Path(__file__).resolve().parents[1]


def test_model_card_names_the_config_default():
    card = (Path(DEFAULT_READER_DIR) / "README.md").read_text(encoding="utf-8")
    named = re.findall(r"assistant's default threshold is \*\*([0-9.]+)\*\*", card)
    assert named == [f"{Settings().threshold:.2f}"], "the model card must name the config default once"


def test_readme_documents_the_config_threshold():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    documented = re.findall(r"`--threshold` \(([0-9.]+)\)", readme)
    assert documented == [f"{Settings().threshold:.2f}"]
