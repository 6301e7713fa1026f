#!/usr/bin/env bash
# The full test suite (fast + slow + browser), then the seed-set regression gate.
set -euo pipefail
cd "$(dirname "$0")/.."
export HF_HUB_OFFLINE=1 GRADIO_ANALYTICS_ENABLED=False
.venv/bin/python -m pytest -q
