"""Export of inference records to blob storage as hourly Parquet (this exporter: on an Azure ML schedule
on Azure, by hand for backfills, and in the local loop).

Exceptions::

    ExportError
    ├── ExportConfigError   environment, window or connection settings that cannot be used
    ├── SourceError         the collector or Log Analytics query failed
    └── SinkError           writing a blob failed
"""

from export.errors import ExportConfigError, ExportError, SinkError, SourceError

__all__ = ["ExportConfigError", "ExportError", "SinkError", "SourceError"]
