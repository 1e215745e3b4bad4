"""Scoring on the online endpoint: `score.py` (the azmlinfsrv entry script) and the pure logic it uses.

Deployed as a code folder assembled by `ml.scoring.packaging` (this package, `ml/__init__.py` and
`monitoring/telemetry`); the data schema travels inside the model directory (`data_schema.json`).
Kept free of heavy imports: azmlinfsrv imports this package before `init()` runs.

Exceptions::

    ScoringError
    ├── ScoringConfigError   model folder, schema or settings unusable at init
    └── NotABatchError       a request body that is not a batch at all (HTTP 400)
"""
