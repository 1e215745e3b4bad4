"""Names of the environment variables that carry the local stack's secrets (the contract between the
local loop, which creates the secrets and gives each process only those it uses, and the commands that
read them). Values never appear in files under version control or in logs."""

from __future__ import annotations

BLOB_VARIABLE = "STREAMSCORE_BLOB_CONNECTION_STRING"
"""Storage connection string (Azurite locally)."""

KEY_VARIABLE = "ML_ENDPOINT_KEY"
"""The scoring endpoint's key (`Authorization: Bearer <key>`)."""

TELEMETRY_VARIABLE = "APPLICATIONINSIGHTS_CONNECTION_STRING"
"""Application Insights connection string; locally it names the collector and the stack's own
instrumentation key."""

COLLECTOR_IKEY_VARIABLE = "STREAMSCORE_COLLECTOR_IKEY"
"""The instrumentation key the local collector accepts envelopes for (others are rejected)."""

COLLECTOR_KEY_VARIABLE = "STREAMSCORE_COLLECTOR_KEY"
"""The local collector's query key (`Authorization: Bearer <key>` on `/query/...`)."""

SECRET_VARIABLES = (
    BLOB_VARIABLE,
    KEY_VARIABLE,
    TELEMETRY_VARIABLE,
    COLLECTOR_IKEY_VARIABLE,
    COLLECTOR_KEY_VARIABLE,
)
