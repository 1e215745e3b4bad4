"""Serving the model: azmlinfsrv on loopback, the local endpoint router, and safe rollout (local + Azure).

Exceptions::

    ServingError
    ├── ServerStartError    a deployment's azmlinfsrv did not come up
    ├── RolloutError        a rollout step failed (the old deployment keeps serving)
    │   ├── SmokeTestError  the new deployment answered the smoke batch wrongly
    │   ├── TrafficHistoryError  ingestion did not accept a traffic event (decision 0014)
    │   └── RolledBackError a regression (or a manual rollback) put traffic back on the old deployment
    └── ManifestError       the model manifest or endpoint manifest is missing or malformed
"""
