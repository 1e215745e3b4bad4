"""The monitoring domain's root exception; each package has its own subtree below it.

    MonitoringError
    ├── TelemetryError   monitoring.telemetry: the exporter's configuration or a record that cannot be sent
    ├── CollectorError   monitoring.collector: the local Application Insights stand-in
    ├── DriftError       monitoring.drift: inputs, metrics, the drift pipeline
    ├── AlertError       monitoring.alerts: rule templates and their evaluation
    └── RetrainError     monitoring.retrain: the retraining started by an alert

Kept free of imports: it ships in score.py's code folder with monitoring.telemetry.
"""

from __future__ import annotations


class MonitoringError(Exception):
    """Root of every error raised by the monitoring domain."""
