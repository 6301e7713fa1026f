"""`qa eval`: measuring the assistant against questions with known answers.

The package is split so each piece can be tested alone: `metrics` (pure scoring
functions), `datasets` (question files in), `scoring` (one answer -> one scored row),
`runner` (drive the engine over a question set), `summary` (rows -> headline metrics),
`report` (JSON / Markdown / terminal table out), `charts` (PNG figures), `compare` (two
runs side by side), `sweep` (the abstention-threshold sweep and sampled dev corpora),
`gate` (floors from a data file, `seed_gate.json`), `bench` (the reader benchmark behind
scripts/bench_reader.py) and `command` (the CLI wiring, called from `qa/cli.py`).
The scripts in scripts/ are thin shells over these.
"""
