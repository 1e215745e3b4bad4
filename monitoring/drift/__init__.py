"""Data and prediction drift of scored data against the training baseline (pure, vectorised).

Public surface: ``compute_drift`` (two Arrow tables -> ``DriftRecord`` list), ``read_table`` and
``write_records`` for files, the metric functions in ``numeric``, ``categorical`` and ``distances``,
and the ``DriftError`` tree in ``errors``.
"""

from monitoring.drift.compute import PREDICTION_COLUMN, compute_drift, drifted_features
from monitoring.drift.errors import DriftError, DriftInputError, DriftPipelineError
from monitoring.drift.files import read_table, write_records
from monitoring.drift.records import DEFAULT_THRESHOLDS, DriftRecord

__all__ = [
    "DEFAULT_THRESHOLDS",
    "PREDICTION_COLUMN",
    "DriftError",
    "DriftInputError",
    "DriftPipelineError",
    "DriftRecord",
    "compute_drift",
    "drifted_features",
    "read_table",
    "write_records",
]
