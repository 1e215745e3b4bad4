"""The environment variables that configure a process's inference log and telemetry (a contract).

Set by whoever starts the process (the local endpoint and loop, the Azure deploy for the online
deployment and the drift job) and read by `monitoring.telemetry`. The scoring code folder ships this
module beside `monitoring/telemetry` (`ml/serving/code_folder.py`).
"""

from __future__ import annotations

CONNECTION_STRING_VAR = "APPLICATIONINSIGHTS_CONNECTION_STRING"
"""Application Insights connection string; unset means telemetry off (one log line says so)."""

SAMPLING_RATIO_VAR = "STREAMSCORE_LOG_SAMPLING_RATIO"
"""Share of scored rows written to the inference log (0 < r <= 1), sampled by request id."""

SPOOL_DIR_VAR = "STREAMSCORE_TELEMETRY_SPOOL_DIR"
"""Folder of the exporter's retry files, one subfolder per instrumentation key."""

CONNECTION_STRING_SECRET_VAR = "APPLICATIONINSIGHTS_CONNECTION_STRING_SECRET_URI"
"""The Key Vault secret holding the connection string (`https://<vault>.vault.azure.net/secrets/<name>`):
set on the Azure drift job instead of the value, which the job reads at run time with its identity."""
