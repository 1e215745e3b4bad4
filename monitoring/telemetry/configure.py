"""`configure_telemetry`: set up Azure Monitor once per process, or a clear no-op."""

from __future__ import annotations

import logging
import os
import threading
from typing import TYPE_CHECKING

from .client import Telemetry
from .errors import TelemetryConfigError
from .settings import TelemetrySettings, resolve_settings

if TYPE_CHECKING:
    from azure.core.credentials import TokenCredential

log = logging.getLogger(__name__)

STATSBEAT_DISABLED_VAR = "APPLICATIONINSIGHTS_STATSBEAT_DISABLED_ALL"
APPLICATION_LOGGER = "streamscore"
"""Python logger whose records (and its children's) go to App Insights as traces."""

# Auto-instrumentation stays off: the telemetry of record is the inference events and drift metrics.
INSTRUMENTATIONS = ("azure_sdk", "django", "fastapi", "flask", "psycopg2", "requests", "urllib", "urllib3")

_lock = threading.Lock()
_configured: tuple[TelemetrySettings, Telemetry] | None = None


def configure_telemetry(
    role_name: str,
    connection_string: str | None = None,
    sampling_ratio: float | None = None,
    credential: TokenCredential | None = None,
) -> Telemetry:
    """Configure Azure Monitor for this process (first call wins) and return its Telemetry.

    The connection string comes from the argument or APPLICATIONINSIGHTS_CONNECTION_STRING (on Azure
    a Key Vault reference is resolved into that variable by the platform); the sampling ratio from
    the argument or STREAMSCORE_LOG_SAMPLING_RATIO (default 1.0). With no connection string the
    returned Telemetry is disabled and one line "telemetry off: <reason>" is logged.

    `credential` signs the exporter in through Entra ID, for an Application Insights resource with
    local (instrumentation key) auth disabled; its identity needs Monitoring Metrics Publisher on it.
    Without one, the exporter itself reads APPLICATIONINSIGHTS_AUTHENTICATION_STRING
    (`Authorization=AAD[;ClientId=<managed identity client id>]`, what Azure deployments set; checked
    here) and otherwise sends with the key (the local collector's own auth).
    """
    global _configured
    settings = resolve_settings(role_name, connection_string, sampling_ratio)
    with _lock:
        if _configured is not None:
            first, telemetry = _configured
            if first != settings:
                log.warning(
                    "telemetry already configured for role %r in this process; keeping that configuration",
                    first.role_name,
                )
            return telemetry
        if settings.connection_string is None:
            log.warning("telemetry off: %s", settings.off_reason)
            telemetry = Telemetry(settings.role_name, None, settings.sampling_ratio)
        else:
            sink = _start_azure_monitor(settings, credential)
            telemetry = Telemetry(settings.role_name, sink, settings.sampling_ratio)
        _configured = (settings, telemetry)
        return telemetry


def _start_azure_monitor(settings: TelemetrySettings, credential: TokenCredential | None = None):
    assert settings.connection_string is not None
    from azure.monitor.opentelemetry import configure_azure_monitor
    from opentelemetry.sdk.resources import Resource

    from .azure_sink import AzureMonitorSink
    from .inference_export import exporter_options

    if settings.is_loopback:
        # The local collector stands in for ingestion only; SDK self-telemetry would go to the internet.
        os.environ.setdefault(STATSBEAT_DISABLED_VAR, "true")
    resource = Resource.create({"service.name": settings.role_name})
    # Only pass `credential` when given: without it the exporter looks at
    # APPLICATIONINSIGHTS_AUTHENTICATION_STRING (azure-monitor-opentelemetry-exporter, _base.py).
    credential_kwargs = {"credential": credential} if credential is not None else {}
    try:
        configure_azure_monitor(
            connection_string=settings.connection_string,
            **credential_kwargs,
            sampling_ratio=settings.sampling_ratio,
            resource=resource,
            **exporter_options(settings.storage_directory),
            logger_name=APPLICATION_LOGGER,
            enable_live_metrics=False,
            enable_performance_counters=False,
            instrumentation_options={name: {"enabled": False} for name in INSTRUMENTATIONS},
        )
    except ValueError as exc:
        raise TelemetryConfigError(f"Azure Monitor rejected the configuration: {exc}") from exc
    # The exporter's HTTP client logs every request at INFO; keep application logs readable.
    logging.getLogger("azure.core.pipeline.policies.http_logging_policy").setLevel(logging.WARNING)
    sink = AzureMonitorSink(resource, settings.connection_string, settings.storage_directory, credential)
    endpoint = settings.ingestion_endpoint or "default"
    auth = sign_in(settings, credential)
    log.info(
        "telemetry on: role %s, endpoint %s, auth %s, inference rows sampled at %s, retry spool %s",
        settings.role_name,
        endpoint,
        auth,
        settings.sampling_ratio,
        sink.spool_folder,
    )
    return sink


def sign_in(settings: TelemetrySettings, credential: TokenCredential | None = None) -> str:
    """How the exporters authenticate, as the log line says it: a credential given in code wins over
    APPLICATIONINSIGHTS_AUTHENTICATION_STRING (the exporter's order), which wins over the key."""
    if credential is not None:
        return f"Entra ID ({type(credential).__name__})"
    if settings.entra_sign_in is not None:
        return f"Entra ID (managed identity, {settings.entra_sign_in})"
    return "instrumentation key"
