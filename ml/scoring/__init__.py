"""Scoring on the online endpoint: `score.py` (the azmlinfsrv entry script) and the pure logic it uses.

Deployed as a code folder assembled by `ml.scoring.packaging` (this package, `ml/__init__.py` and
`monitoring/telemetry`); the data schema travels inside the model directory (`data_schema.json`).
Kept free of heavy imports: azmlinfsrv imports this package before `init()` runs.

Exceptions::

    ScoringError
    ├── ScoringConfigError   model folder, schema or settings unusable at init
    └── BadRequestError      a request refused before any row is scored (its `status`, a 4xx)
        ├── NotABatchError       not UTF-8, not JSON, not `{"Inputs": {"data": [...]}}` (400)
        ├── TooLargeError        body or batch over the limit (413)
        ├── NotJsonContentError  Content-Type is not JSON (415)
        └── MethodNotAllowedError  not a POST (405)
"""
