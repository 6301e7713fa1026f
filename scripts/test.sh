#!/usr/bin/env bash
# Lint and type checks, the full test suite (fast + slow + browser), then the seed-set
# regression gate.
set -euo pipefail
cd "$(dirname "$0")/.."
export HF_HUB_OFFLINE=1 GRADIO_ANALYTICS_ENABLED=False
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy  # checks qa/ ([tool.mypy] in pyproject.toml)
.venv/bin/python -m pytest -q -m ""
# Regression gate on the seed question set (EM, citation accuracy, retrieval floors).
.venv/bin/python scripts/eval_gate.py --report out/eval-gate
