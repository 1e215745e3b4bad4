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

AUTHENTICATION_STRING_VAR = "APPLICATIONINSIGHTS_AUTHENTICATION_STRING"
"""How the Azure Monitor exporter signs in when no credential is passed in code: `Authorization=AAD`
(a system-assigned managed identity) or `Authorization=AAD;ClientId=<client id>` (a user-assigned one).
Read by azure-monitor-opentelemetry-exporter (`export/_base.py`, `_get_authentication_credential`: a
`ManagedIdentityCredential`); required on Azure, where Application Insights has local auth disabled:
https://learn.microsoft.com/azure/azure-monitor/app/azure-ad-authentication. Unset locally, where the
collector takes its own key."""


def entra_authentication(client_id: str | None = None) -> str:
    """The value of `AUTHENTICATION_STRING_VAR` that signs in as a managed identity (by client id when
    the resource wears user-assigned identities)."""
    return "Authorization=AAD" + (f";ClientId={client_id}" if client_id else "")


TELEMETRY_CLIENT_ID_VAR = "STREAMSCORE_TELEMETRY_CLIENT_ID"
"""Client id of the user-assigned identity a job signs its telemetry in with (the drift job's), handed
by the deploy from the deployed identity; the job gets `AUTHENTICATION_STRING_VAR` built from it."""

CONNECTION_STRING_SECRET_VAR = "APPLICATIONINSIGHTS_CONNECTION_STRING_SECRET_URI"
"""The Key Vault secret holding the connection string (`https://<vault>.vault.azure.net/secrets/<name>`):
set on the Azure drift job instead of the value, which the job reads at run time with its identity."""
