"""`qa eval`: measuring the assistant against questions with known answers.

The package is split so each piece can be tested alone: `metrics` (pure scoring
functions), `datasets` (question files in), `runner` (drive the engine, one row per
question), `report` (JSON / Markdown / table out), `charts` (PNG figures), `compare`
(two runs side by side) and `command` (the CLI wiring).
"""
