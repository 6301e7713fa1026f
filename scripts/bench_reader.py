#!/usr/bin/env python
"""Benchmark the extractive reader: accuracy on the held-out sets and CPU latency.

    .venv/bin/python scripts/bench_reader.py [--reader DIR] [--precision fp32,bf16,int8]
        [--limit N] [--v2-limit N] [--threshold T] [--threads N] [--json OUT]

A thin shell over `qa.evaluate.bench` (its docstring says what each part measures;
`--help` lists every flag). The product side is `qa.reader.Reader`; the "naive pipeline"
is the deliberate baseline it is timed against.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main(argv: list[str] | None = None) -> int:
    from qa.evaluate.bench import main as bench_main

    return bench_main(argv)


if __name__ == "__main__":
    sys.exit(main())
