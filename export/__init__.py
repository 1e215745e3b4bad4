"""Export of inference records to blob storage as hourly Parquet (Logic App on Azure; this exporter for
backfills, environments without the Logic App, and the local loop).

Exceptions::

    ExportError
    ├── ExportConfigError   environment, window or connection settings that cannot be used
    ├── SourceError         the collector or Log Analytics query failed
    └── SinkError           writing a blob failed
"""

from export.errors import ExportConfigError, ExportError, SinkError, SourceError

__all__ = ["ExportConfigError", "ExportError", "SinkError", "SourceError"]
