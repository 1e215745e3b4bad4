"""Output writers: Event Hub outputs as Kafka topics, blob outputs as JSON-lines blobs. Each `flush`
returns only once everything written is durable (acknowledged by the broker, uploaded to storage)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping
from typing import Any

from confluent_kafka import KafkaError, Message, Producer

from streaming.engine.values import micros_to_datetime
from streaming.runtime.encoding import EncodedBatch
from streaming.runtime.errors import SinkError
from streaming.runtime.path_pattern import blob_folder, blob_name, blob_sequence, static_prefix
from streaming.runtime.project import BlobOutput, EventHubOutput


class KafkaSink:
    """Produces Event Hub outputs' rows to their topics (key: the output's partition key column)."""

    def __init__(self, client_config: Mapping[str, Any], outputs: Iterable[EventHubOutput]) -> None:
        self.outputs = {o.alias: o for o in outputs}
        self.failures: list[str] = []
        failures = self.failures

        def delivered(error: KafkaError | None, message: Message) -> None:
            if error is not None:
                failures.append(f"topic {message.topic()} partition {message.partition()}: {error}")

        # The callback holds the failure list, not this sink: a producer whose callback refers back to
        # its owner is a cycle the garbage collector cannot see through, so an owner dropped without
        # `close()` (a crash, a test) kept the producer reconnecting to a stopped broker until exit.
        self.producer = Producer(
            {
                **client_config,
                "acks": "all",
                "linger.ms": 5,
                "queue.buffering.max.messages": 1_000_000,
                # Reports only for failed rows: no Python callback per delivered row; `flush` still
                # waits for every row, and a failure is reported before it returns. Set once for the
                # producer: a callback given with each row costs about as much as producing it.
                "delivery.report.only.error": True,
                "on_delivery": delivered,
            }
        )

    def write(self, batches: Iterable[EncodedBatch]) -> int:
        produce = self.producer.produce
        written = 0
        for batch in batches:
            hub = self.outputs[batch.output].hub
            keys = batch.keys or [None] * len(batch.lines)
            for value, key in zip(batch.lines, keys, strict=True):
                while True:
                    try:
                        produce(hub, value, key)  # positional: keyword parsing costs per row
                        break
                    except BufferError:
                        self.producer.poll(0.05)  # local queue full: let deliveries drain
            written += len(batch.lines)
        self.producer.poll(0)
        return written

    def flush(self, timeout_s: float = 60.0) -> None:
        """Wait for every produced row's acknowledgement; raise if any failed or did not arrive."""
        pending = self.producer.flush(timeout_s)
        if pending:
            raise SinkError(f"Kafka outputs: {pending} rows not acknowledged after {timeout_s:.0f} s")
        if self.failures:
            failures = list(self.failures)
            self.failures.clear()
            raise SinkError(f"Kafka outputs: {len(failures)} rows failed, first: {failures[0]}")

    def close(self) -> None:
        """Release the producer and its broker connections now, not whenever the sink is dropped."""
        self.producer.close()


class BlobSink:
    """Writes blob outputs' rows as JSON lines, one blob per output folder and cycle."""

    def __init__(self, service: Any, outputs: Iterable[BlobOutput]) -> None:
        from azure.core.exceptions import ResourceExistsError

        self.service = service
        self.outputs = {o.alias: o for o in outputs}
        for container in sorted({o.container for o in self.outputs.values()}):
            with contextlib.suppress(ResourceExistsError):  # already there
                service.create_container(container)

    def next_sequence(self) -> int:
        """One more than the highest cycle number of the blobs already under the outputs' prefixes (0
        when there are none): numbering continues after them, so no existing blob is overwritten, also
        when the checkpoint was deleted or reset."""
        from azure.core.exceptions import AzureError

        highest = -1
        for output in self.outputs.values():
            prefix = static_prefix(output.path_pattern)
            try:
                container = self.service.get_container_client(output.container)
                names = [blob.name for blob in container.list_blobs(name_starts_with=prefix or None)]
            except AzureError as exc:
                raise SinkError(
                    f"blob {output.container}/{prefix}: cannot list existing blobs: {exc}"
                ) from exc
            numbers = [n for n in map(blob_sequence, names) if n is not None]
            highest = max([highest, *numbers])
        return highest + 1

    def plan(self, batches: Iterable[EncodedBatch], sequence: int) -> dict[tuple[str, str], bytes]:
        """This cycle's blobs, (container, name) -> JSON lines; names carry `sequence`."""
        blobs: dict[tuple[str, str], list[bytes]] = {}
        for batch in batches:
            output = self.outputs[batch.output]
            lines = batch.lines
            # Path patterns resolve to the minute at most: one folder per minute of System.Timestamp().
            minutes = [stamp // 60_000_000 for stamp in batch.timestamps_us]
            for minute in sorted(set(minutes)):
                folder = blob_folder(
                    output.path_pattern,
                    output.date_format,
                    output.time_format,
                    micros_to_datetime(minute * 60_000_000),
                )
                target = (output.container, blob_name(folder, sequence))
                kept = (
                    lines
                    if len(minutes) == minutes.count(minute)
                    else [line for line, at in zip(lines, minutes, strict=True) if at == minute]
                )
                blobs.setdefault(target, []).extend(kept)
        return {key: b"\n".join(lines) + b"\n" for key, lines in sorted(blobs.items())}

    def upload(self, blobs: dict[tuple[str, str], bytes]) -> None:
        """Upload (overwrite) every blob; returns once all are stored."""
        from azure.core.exceptions import AzureError

        for (container, name), body in blobs.items():
            try:
                self.service.get_blob_client(container, name).upload_blob(body, overwrite=True)
            except AzureError as exc:
                raise SinkError(f"blob {container}/{name}: upload failed: {exc}") from exc

    def delete(self, blobs: Iterable[tuple[str, str]]) -> None:
        """Remove blobs of a cycle that was not checkpointed (missing ones are fine)."""
        from azure.core.exceptions import AzureError, ResourceNotFoundError

        for container, name in blobs:
            try:
                self.service.get_blob_client(container, name).delete_blob()
            except ResourceNotFoundError:
                continue
            except AzureError as exc:
                raise SinkError(
                    f"blob {container}/{name}: cannot delete a blob of an unfinished cycle: {exc}"
                ) from exc
