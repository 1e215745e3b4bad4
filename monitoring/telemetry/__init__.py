"""Inference and metric telemetry to Azure Monitor (Application Insights) through OpenTelemetry.

Self-contained on purpose: it imports only the standard library, OpenTelemetry and the Azure Monitor
distro, because it is copied next to score.py into the deployed code folder.

    from monitoring.telemetry import configure_telemetry

    telemetry = configure_telemetry("score")
    telemetry.log_inferences([{...}])
    telemetry.emit_metric("drift_jensen_shannon_distance", 0.03, {"feature": "amount"})
    telemetry.flush()

Exceptions::

    TelemetryError
    ├── TelemetryConfigError   bad connection string or sampling ratio
    └── InferenceRecordError   an inference record that cannot be sent
"""

from .client import Telemetry
from .configure import configure_telemetry
from .errors import InferenceRecordError, TelemetryConfigError, TelemetryError
from .records import INFERENCE_EVENT_NAME, INFERENCE_FIELDS

__all__ = [
    "INFERENCE_EVENT_NAME",
    "INFERENCE_FIELDS",
    "InferenceRecordError",
    "Telemetry",
    "TelemetryConfigError",
    "TelemetryError",
    "configure_telemetry",
]
