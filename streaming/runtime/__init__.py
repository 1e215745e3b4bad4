"""The local Stream Analytics job: the rendered project's query on a Kafka-protocol broker.

    project = load_project(Path("build/local/streaming/asa"))
    runner = Runner(project, kafka.client_config(), blob_service(...), endpoint, checkpoint_path)
    runner.run(stop_event)

Reads the input topic, feeds the engine (`streaming.engine`), writes Event Hub outputs to topics and blob
outputs to storage, then checkpoints engine state and commits offsets. Errors: `streaming.runtime.errors`.
"""

from streaming.runtime.checkpoint import Checkpoint, FileCheckpointStore
from streaming.runtime.connections import KafkaSettings, blob_service, kafka_settings
from streaming.runtime.endpoint import Endpoint, default_manifest, resolve_endpoint
from streaming.runtime.errors import (
    CheckpointError,
    ProjectError,
    ReferenceInputError,
    RunError,
    SettingsError,
    SinkError,
)
from streaming.runtime.loop import Runner, RunOptions, RunStats, build_engine, compile_project, ensure_topics
from streaming.runtime.project import Project, load_project

__all__ = [
    "Checkpoint",
    "CheckpointError",
    "Endpoint",
    "FileCheckpointStore",
    "KafkaSettings",
    "Project",
    "ProjectError",
    "ReferenceInputError",
    "RunError",
    "RunOptions",
    "RunStats",
    "Runner",
    "SettingsError",
    "SinkError",
    "blob_service",
    "build_engine",
    "compile_project",
    "default_manifest",
    "ensure_topics",
    "kafka_settings",
    "load_project",
    "resolve_endpoint",
]
