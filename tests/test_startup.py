"""Starting is cheap: model libraries load when a model does (`warm_up`), never on import,
so `qa --help` and a `qa ask` over a ready index do not pay seconds of imports first."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("torch", "transformers", "sentence_transformers", "gradio", "matplotlib", "faiss")


def _loaded_after(code: str) -> list[str]:
    """The HEAVY modules a fresh interpreter holds after running `code`."""
    probe = f"{code}\nimport json, sys\nprint(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_qa_help_imports_no_model_or_ui_library():
    code = "import qa.cli\ntry:\n    qa.cli.main(['--help'])\nexcept SystemExit:\n    pass"
    assert _loaded_after(code) == []


def test_every_subcommand_help_imports_no_model_or_ui_library():
    code = "import qa.cli\nfor c in ('index', 'ask', 'eval', 'train-reader', 'export-reader'):\n"
    code += "    try:\n        qa.cli.main([c, '--help'])\n    except SystemExit:\n        pass"
    assert _loaded_after(code) == []


def test_building_an_assistant_object_loads_no_model_library():
    code = "import qa\nfrom qa.assistant import Assistant\nfrom qa.store import CorpusIndex\nfrom qa.reader import Reader\n"
    code += "Reader()\n"  # constructing the reader is free too: warm_up() loads it
    assert _loaded_after(code) == []
