"""Where the telemetry configuration comes from: arguments first, then environment variables."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from environments.telemetry_variables import (
    AUTHENTICATION_STRING_VAR,
    CONNECTION_STRING_VAR,
    SAMPLING_RATIO_VAR,
    SPOOL_DIR_VAR,
)

from .errors import TelemetryConfigError

"""Folder of the stack's own retry spools (one subfolder per instrumentation key); unset: the exporter's
default, `<temp>/Microsoft/AzureMonitor/opentelemetry-python-<key>`, shared by every process of the host."""
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


@dataclass(frozen=True)
class TelemetrySettings:
    """Resolved settings; `connection_string` is None when telemetry is off."""

    role_name: str
    connection_string: str | None
    sampling_ratio: float
    off_reason: str = ""
    spool_dir: Path | None = None
    entra_sign_in: str | None = None
    """`AUTHENTICATION_STRING_VAR`'s managed identity ("system-assigned" or "client id <id>"), or None:
    the exporter then sends the connection string's key (local collector), unless given a credential."""

    @property
    def storage_directory(self) -> Path | None:
        """The exporter's retry spool: `<spool_dir>/<instrumentation key>`, or None for its default."""
        if self.spool_dir is None:
            return None
        return self.spool_dir / parse_connection_string(self.connection_string or "")["instrumentationkey"]

    @property
    def ingestion_endpoint(self) -> str:
        """The IngestionEndpoint of the connection string ('' when absent)."""
        return parse_connection_string(self.connection_string or "").get("ingestionendpoint", "")

    @property
    def is_loopback(self) -> bool:
        """True when telemetry goes to a collector on this machine (the local stand-in)."""
        return urlparse(self.ingestion_endpoint).hostname in LOOPBACK_HOSTS


def parse_connection_string(connection_string: str) -> dict[str, str]:
    """`Key=value;Key=value` -> {lower-case key: value}; raises on a part without '='."""
    parts: dict[str, str] = {}
    for index, part in enumerate(p for p in connection_string.split(";") if p.strip()):
        key, sep, value = part.partition("=")
        if not sep or not key.strip():
            raise TelemetryConfigError(f"connection string part {index} is not Key=value")
        parts[key.strip().lower()] = value.strip()
    return parts


def resolve_settings(
    role_name: str,
    connection_string: str | None = None,
    sampling_ratio: float | None = None,
    environ: Mapping[str, str] | None = None,
) -> TelemetrySettings:
    """Combine arguments and environment variables into checked settings."""
    env = os.environ if environ is None else environ
    if not role_name.strip():
        raise TelemetryConfigError("role_name is empty")
    ratio = _resolve_ratio(sampling_ratio, env)
    conn = connection_string if connection_string is not None else env.get(CONNECTION_STRING_VAR, "")
    conn = conn.strip()
    if not conn:
        return TelemetrySettings(role_name, None, ratio, f"{CONNECTION_STRING_VAR} is not set")
    if conn.startswith("@Microsoft.KeyVault("):
        # App Service / Functions resolve Key Vault references into the variable before start-up;
        # seeing the reference itself means it was not resolved (identity lacks access, typo).
        reason = f"{CONNECTION_STRING_VAR} is an unresolved Key Vault reference"
        return TelemetrySettings(role_name, None, ratio, reason)
    parts = parse_connection_string(conn)
    if not parts.get("instrumentationkey"):
        raise TelemetryConfigError("connection string has no InstrumentationKey")
    spool = env.get(SPOOL_DIR_VAR, "").strip()
    return TelemetrySettings(
        role_name,
        conn,
        ratio,
        spool_dir=Path(spool) if spool else None,
        entra_sign_in=parse_authentication_string(env.get(AUTHENTICATION_STRING_VAR)),
    )


def parse_authentication_string(value: str | None) -> str | None:
    """Check `APPLICATIONINSIGHTS_AUTHENTICATION_STRING` as the exporter reads it (`Authorization=AAD`,
    optional `ClientId`) and say which managed identity it names; None when unset. The exporter itself
    only logs a malformed value and falls back to the key, which a resource with local auth disabled
    refuses: here it is an error that names the variable."""
    if value is None or not value.strip():
        return None
    try:
        parts = parse_connection_string(value)
    except TelemetryConfigError as exc:
        raise TelemetryConfigError(f"{AUTHENTICATION_STRING_VAR}: {exc}") from exc
    if parts.get("authorization") != "AAD" or set(parts) - {"authorization", "clientid"}:
        raise TelemetryConfigError(
            f"{AUTHENTICATION_STRING_VAR} must be 'Authorization=AAD' or 'Authorization=AAD;ClientId=<id>', "
            f"got keys {sorted(parts)}"
        )
    return f"client id {parts['clientid']}" if parts.get("clientid") else "system-assigned"


def _resolve_ratio(sampling_ratio: float | None, env: Mapping[str, str]) -> float:
    if sampling_ratio is None:
        raw = env.get(SAMPLING_RATIO_VAR, "").strip()
        if not raw:
            return 1.0
        try:
            sampling_ratio = float(raw)
        except ValueError as exc:
            raise TelemetryConfigError(f"{SAMPLING_RATIO_VAR}={raw!r} is not a number") from exc
    if not 0.0 < sampling_ratio <= 1.0:
        raise TelemetryConfigError(f"sampling ratio {sampling_ratio} is outside (0, 1]")
    return float(sampling_ratio)
