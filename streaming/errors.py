"""The streaming domain's root exception; each package has its own subtree below it.

StreamingError
├── EngineError      streaming.engine: the query (line, column), execution, function calls, state
├── RunError         streaming.runtime: Kafka, blob outputs, checkpoints, the endpoint manifest
├── ProduceError     streaming.producer: the event source or the hub
├── QueryTestError   streaming.querytest: a test configuration or project that cannot be read
└── ReferenceDataError  streaming.reference_data: a reference data file (blob) that cannot be read
"""

from __future__ import annotations


class StreamingError(Exception):
    """Root of every error raised by the streaming domain."""
