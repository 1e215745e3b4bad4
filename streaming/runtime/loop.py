"""The run loop: read a batch -> engine -> write outputs durably -> checkpoint -> commit offsets.

Offsets are committed only after the outputs of every event before them are durable and the engine
state (open windows, ordering buffers) is checkpointed with them, so a crash or restart loses no event.
Blob outputs are exactly-once across crashes: a cycle's blobs are named by its number and journalled
before they are written; at start the blobs of a journalled but unfinished cycle are removed, as its
events are read again. Kafka outputs are at-least-once, as the service's Event Hub outputs are.
"""

from __future__ import annotations

import hashlib
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from confluent_kafka import KafkaException, TopicCollection
from confluent_kafka.admin import AdminClient, NewTopic

from streaming.aliases import OUTPUT_DEADLETTER, OUTPUT_SCORED_BLOB
from streaming.dead_letter import RejectedEvent
from streaming.engine import (
    Engine,
    EventOrdering,
    FunctionBinding,
    HttpTransport,
    Plan,
    compile_query,
)
from streaming.reference_data import size_limit
from streaming.runtime.checkpoint import Checkpoint, FileCheckpointStore, write_atomically
from streaming.runtime.collector import tuned_for_batches
from streaming.runtime.encoding import EncodedBatch, encode_batches
from streaming.runtime.endpoint import Endpoint
from streaming.runtime.errors import ProjectError, RunError
from streaming.runtime.project import Project
from streaming.runtime.reference import SCAN_INTERVAL_S, ReferenceLoader
from streaming.runtime.sinks import BlobSink, KafkaSink
from streaming.runtime.source import Batch, KafkaSource

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunOptions:
    max_batch: int = 5000
    poll_timeout_s: float = 0.1
    """How long a poll waits for `max_batch` events: the longest an event waits before processing."""
    max_backoff_s: float = 5.0
    create_topics: bool = False
    """Create missing topics (the local broker); in Azure the ARM template creates the hubs."""
    topic_partitions: int = 1
    metrics_path: Path | None = None
    """Where `run` keeps the accounting (`Runner.accounting`) as JSON, rewritten about every second."""
    reference_scan_s: float = SCAN_INTERVAL_S
    """How often reference inputs look for a newer blob (the service: once a minute)."""


@dataclass
class RunStats:
    events_in: int = 0
    """Every message read from the input, decodable or not."""
    rejected: int = 0
    """Events rejected before the query and written to the dead-letter output (durable)."""
    dropped: dict[str, int] = field(default_factory=dict)
    """Events dropped without a dead letter, by reason (each logged with its partition and offset)."""
    rows_out: dict[str, int] = field(default_factory=dict)
    cycles: int = 0
    started: float = field(default_factory=time.monotonic)
    first_event: float | None = None
    """`time.monotonic()` when a poll first returned events (before they were processed)."""
    late: dict[str, int] = field(default_factory=dict)
    """Rows the watermark left out of an emitted window in this run (`late_counts`); each increase is
    logged. Events the Drop policy dropped are not in here: the accounting's `dropped` has them, logged
    once with partition and offsets, so each input event is counted in one place."""


def late_counts(counters: dict[str, Any]) -> dict[str, int]:
    """Engine counters of rows that came after the watermark and were left out of a window.

    `window_late_rows`: rows that reached an aggregate window already emitted (per aggregate step),
    left out of its counts (the row itself is still scored). Events the Drop policy dropped are counted
    by the accounting (`Runner.accounting`, `dropped`), not here; adjusted events are kept, with an
    adjusted time.
    """
    counts = {"window_late_rows": 0}
    for state in counters["windows"].values():
        counts["window_late_rows"] += state["late_rows"]
    return counts


@dataclass
class CycleOutput:
    """What one cycle's computation hands to the writer: rows, where to resume, the engine state then."""

    outputs: list[EncodedBatch]
    next_offsets: dict[int, int]
    engine_state: dict[str, Any]
    events: int
    rejected: int = 0
    """Rows of `outputs` that are dead letters of events rejected before the query."""
    topic_id: str | None = None
    """The input topic's id to checkpoint from this cycle on (None: unchanged)."""


def job_identity(project: Project) -> str:
    """What a checkpoint belongs to: the query text, the input topic and the consumer group."""
    source = project.inputs[0]
    text = "\n".join([project.query, source.hub, source.consumer_group])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def compile_project(project: Project, endpoint: Endpoint | None = None) -> Plan:
    """The plan of the project's query, its functions bound to `endpoint` (default: the project's own);
    refused when the query writes to an output the project does not define."""
    functions = {
        f.alias: FunctionBinding(
            name=f.alias,
            endpoint=(endpoint.uri if endpoint else None) or f.endpoint,
            api_key=endpoint.api_key if endpoint else None,
            input_request_name=f.input_request_name,
            input_name=f.input_name,
            output_response_name=f.output_response_name,
            batch_size=f.batch_size,
            parallel_requests=f.parallel_requests,
        )
        for f in project.functions
    }
    plan = compile_query(project.query, functions)
    known = {o.alias for o in project.eventhub_outputs} | {o.alias for o in project.blob_outputs}
    unknown = sorted(set(plan.outputs) - known)
    if unknown:
        raise ProjectError(
            f"{project.folder}: the query writes INTO {unknown}, which the project does not define"
        )
    declared = {r.alias.casefold(): r.alias for r in project.references}
    joined = {name.casefold(): name for name in plan.references}
    if set(joined) - set(declared):
        missing = sorted(joined[k] for k in set(joined) - set(declared))
        raise ProjectError(
            f"{project.folder}: the query JOINs reference input(s) {missing}, which the project does not define"
        )
    if set(declared) - set(joined):
        unused = sorted(declared[k] for k in set(declared) - set(joined))
        raise ProjectError(
            f"{project.folder}: reference input(s) {unused} are defined but the query joins none of them"
        )
    return plan


def build_engine(project: Project, endpoint: Endpoint, max_backoff_s: float) -> Engine:
    """The engine of the project's query, its functions bound to `endpoint` (or the project's own)."""
    plan = compile_project(project, endpoint)
    job = project.job
    ordering = EventOrdering(
        job.late_arrival_max_delay_s, job.out_of_order_max_delay_s, job.out_of_order_policy
    )
    partitions = {i.alias: range(i.partitions) for i in project.inputs}
    return Engine(plan, ordering, HttpTransport(), partitions=partitions, max_backoff_s=max_backoff_s)


def ensure_topics(client_config: dict[str, Any], topics: list[str], partitions: int) -> None:
    """Create the topics that do not exist yet (local broker only)."""
    admin = AdminClient(client_config)
    existing = set(admin.list_topics(timeout=10).topics)
    missing = [
        NewTopic(t, num_partitions=partitions, replication_factor=1) for t in topics if t not in existing
    ]
    for topic, future in admin.create_topics(missing).items() if missing else []:
        try:
            future.result(timeout=10)
        except KafkaException as exc:
            if "TOPIC_ALREADY_EXISTS" not in str(exc):
                raise RunError(f"topic {topic}: cannot create: {exc}") from exc


def topic_id(client_config: dict[str, Any], topic: str) -> str | None:
    """The topic's id (a new one each time a topic is created), None where the broker has none."""
    try:
        admin = AdminClient(client_config)  # kept while waiting: a collected client cancels the request
        described = admin.describe_topics(TopicCollection([topic]))[topic].result(10)
    except (KafkaException, NotImplementedError) as exc:
        log.info(
            "topic %s: no topic id from the broker (%s); recreation is detected by offsets only", topic, exc
        )
        return None
    text = str(described.topic_id) if described.topic_id is not None else ""
    return None if not text or set(text) <= {"A", "="} else text  # all-zero UUID: no id


class Runner:
    """One running job: the project's single input, its Kafka and blob outputs, a checkpoint file."""

    def __init__(
        self,
        project: Project,
        client_config: dict[str, Any],
        blob_service: Any,
        endpoint: Endpoint,
        checkpoint_path: Path,
        options: RunOptions | None = None,
    ) -> None:
        if len(project.inputs) != 1:
            raise ProjectError(
                f"{project.folder}: the runtime reads exactly one input, found {len(project.inputs)}"
            )
        self.project = project
        self.options = options or RunOptions()
        self.input = project.inputs[0]
        self.engine = build_engine(project, endpoint, self.options.max_backoff_s)
        self.store = FileCheckpointStore(checkpoint_path)
        sha = job_identity(project)
        saved = self.store.load()
        if saved is not None and saved.query_sha != sha:
            raise RunError(
                f"{checkpoint_path}: the checkpoint belongs to another query or input (sha {saved.query_sha}, now {sha}); "
                "move it away to start over from the committed offsets"
            )
        self.checkpoint = saved or Checkpoint(query_sha=sha)
        if saved is not None and saved.engine is not None:
            self.engine.restore(saved.engine)
            log.info("restored from %s: offsets %s, cycle %d", checkpoint_path, saved.offsets, saved.sequence)
        self.references = [
            ReferenceLoader(
                blob_service,
                reference,
                size_limit(project.job.streaming_units),
                self.options.reference_scan_s,
            )
            for reference in project.references
        ]
        for loader in self.references:
            loader.start(self.engine)
        if self.options.create_topics:
            topics = [self.input.hub, *(o.hub for o in project.eventhub_outputs)]
            ensure_topics(client_config, topics, self.options.topic_partitions)
        self.kafka = KafkaSink(client_config, project.eventhub_outputs)
        self.partition_keys = {o.alias: o.partition_key for o in project.eventhub_outputs}
        outputs = {o.alias for o in project.eventhub_outputs} | {o.alias for o in project.blob_outputs}
        self.dead_letter = OUTPUT_DEADLETTER if OUTPUT_DEADLETTER in outputs else None
        self.blobs = BlobSink(blob_service, project.blob_outputs) if project.blob_outputs else None
        unfinished = self.store.pending_blobs()
        if unfinished:
            if self.blobs is None:
                raise RunError(f"{self.store.pending_path}: lists blobs but the project has no blob output")
            log.info("removing %d blobs of a cycle that was not checkpointed", len(unfinished))
            self.blobs.delete(unfinished)
            self.store.end()
        if self.blobs is not None:
            self._continue_blob_numbering()
        current_topic = topic_id(client_config, self.input.hub)
        identity = "unknown"
        if saved is not None and saved.topic_id and current_topic:
            identity = "same" if saved.topic_id == current_topic else "recreated"
        if identity == "recreated":
            log.warning(
                "topic %s was recreated (id %s, the checkpoint's %s): checkpointed partitions start over",
                self.input.hub,
                current_topic,
                self.checkpoint.topic_id,
            )
        # Saved with the first cycle read after the partitions are assigned, together with the offsets
        # they resume at: a checkpoint never pairs the new id with the old topic's offsets.
        self._new_topic_id = current_topic if current_topic != self.checkpoint.topic_id else None
        self.source = KafkaSource(
            client_config, self.input.hub, self.input.consumer_group, self.checkpoint.offsets, identity
        )
        self._check_partitions()
        self.stats = RunStats()
        self._late_before = late_counts(self.engine.counters())  # restored totals of earlier runs

    def _check_partitions(self) -> None:
        """Windows wait for every partition the input names: each must exist to be read or found idle."""
        count = self.source.partition_count()
        if count is not None and count < self.input.partitions:
            self.source.close()
            raise RunError(
                f"topic {self.input.hub} has {count} partition(s), but input {self.input.alias} has PartitionCount "
                f"{self.input.partitions}: windows would wait forever for the missing partitions"
            )

    def _continue_blob_numbering(self) -> None:
        """Start numbering blobs after the existing ones (a deleted or reset checkpoint restarts at 0)."""
        assert self.blobs is not None
        existing = self.blobs.next_sequence()
        if existing > self.checkpoint.sequence:
            log.warning(
                "blob outputs already hold cycles up to %012d but the checkpoint is at cycle %d "
                "(deleted or reset): numbering continues at %012d, no existing blob is overwritten",
                existing - 1,
                self.checkpoint.sequence,
                existing,
            )
            self.checkpoint.sequence = existing

    def cycle(self) -> int:
        """One round, outputs durable and offsets committed on return; the number of events read."""
        work = self.compute()
        if work is None:
            return 0
        self.source.commit(self.write(work))
        return work.events

    def compute(self) -> CycleOutput | None:
        """Read a batch and run the engine on it (and on the idle clock); None when nothing happened."""
        for loader in self.references:
            loader.refresh(self.engine)
        batch = self.source.poll(self.options.max_batch, self.options.poll_timeout_s)
        if batch and self.stats.first_event is None:
            self.stats.first_event = time.monotonic()
        untimed: list[tuple[int, str]] = []  # no usable TIMESTAMP BY time, or early
        dropped_before = self._policy_drops()
        outputs = (
            self.engine.process_columns(
                self.input.alias, batch.payloads, batch.arrivals_us, batch.partitions, untimed
            )
            if batch
            else []
        )
        if batch and self._policy_drops() != dropped_before:
            self._log_policy_drops(batch, dropped_before)
        outputs += self.engine.advance_partitions(self.input.alias, batch.idle_arrivals_us)
        self._count_late()
        rejected = batch.rejected + [batch.reject(index, reason) for index, reason in untimed]
        events = len(batch) + len(batch.rejected)
        self.stats.events_in += events
        topic_id = None
        if self._new_topic_id is not None and self.source.assigned:
            topic_id, self._new_topic_id = self._new_topic_id, None
        if not batch.next_offsets and not outputs and topic_id is None:
            return None
        encoded = encode_batches(outputs, self.partition_keys)
        dead_letters = self._dead_letters(rejected)
        if dead_letters is not None:
            encoded.append(dead_letters)
        return CycleOutput(
            encoded,
            batch.next_offsets,
            self.engine.snapshot(),
            events,
            len(dead_letters.lines) if dead_letters else 0,
            topic_id,
        )

    def _policy_drops(self) -> tuple[int, int]:
        """Events the job's Drop policy dropped so far: (late, out of order)."""
        counters = self.engine.counters()["inputs"][self.input.alias]
        return counters["late_dropped"], counters["out_of_order_dropped"]

    def _log_policy_drops(self, batch: Batch, before: tuple[int, int]) -> None:
        """Stream Analytics drops late and out-of-order events under the Drop policy without a dead
        letter; the runtime counts them (accounting) and names the partitions and offsets read."""
        late, out_of_order = (now - then for now, then in zip(self._policy_drops(), before, strict=True))
        ranges: dict[int, tuple[int, int]] = {}
        for partition, offset in zip(batch.partitions, batch.offsets, strict=True):
            low, high = ranges.get(partition, (offset, offset))
            ranges[partition] = (min(low, offset), max(high, offset))
        where = ", ".join(f"partition {p} offsets {lo}-{hi}" for p, (lo, hi) in sorted(ranges.items()))
        log.warning(
            "topic %s: dropped by the Drop policy (no dead letter, as in the service): %d late, %d out of "
            "order, among %s",
            self.input.hub,
            late,
            out_of_order,
            where,
        )

    def _dead_letters(self, rejected: list[RejectedEvent]) -> EncodedBatch | None:
        """Events rejected before the query, as rows of the dead-letter output (each logged with its
        partition and offset); counted as dropped, and logged so, when the project has no such output."""
        for event in rejected:
            log.warning(
                "topic %s partition %d offset %d: %s, %s",
                self.input.hub,
                event.partition,
                event.offset,
                "dead-lettered" if self.dead_letter else "dropped (the project has no dead-letter output)",
                event.reason,
            )
        if not rejected:
            return None
        if self.dead_letter is None:
            dropped = self.stats.dropped
            dropped["no dead-letter output"] = dropped.get("no dead-letter output", 0) + len(rejected)
            return None
        lines = [orjson.dumps(event.record()) for event in rejected]
        return EncodedBatch(self.dead_letter, lines, None, [event.arrival_us for event in rejected])

    def accounting(self) -> dict[str, Any]:
        """Where every event read went: scored, dead-lettered (by the query or before it), dropped with
        a reason; `in_flight` are read but not yet written (ordering buffer, cycle being written)."""
        stats = self.stats
        counters = self.engine.counters()["inputs"][self.input.alias]
        dropped = {
            **stats.dropped,
            "late (Drop policy)": counters["late_dropped"],
            "out of order (Drop policy)": counters["out_of_order_dropped"],
        }
        scored = stats.rows_out.get(OUTPUT_SCORED_BLOB, 0)
        dead_lettered = stats.rows_out.get(OUTPUT_DEADLETTER, 0)
        return {
            "events_in": stats.events_in,
            "scored": scored,
            "dead_lettered": dead_lettered,
            "dead_lettered_before_query": stats.rejected,
            "dropped": dropped,
            "in_flight": stats.events_in - scored - dead_lettered - sum(dropped.values()),
            "offsets_reset": [reset.message for reset in self.source.resets],
            "rows_out": dict(stats.rows_out),
        }

    def save_metrics(self) -> None:
        """Write `accounting()` to `options.metrics_path` (atomically), when one is set."""
        if self.options.metrics_path is not None:
            write_atomically(self.options.metrics_path, self.accounting())

    def _count_late(self) -> None:
        """Log every increase of the late counters: an event left behind by the watermark is never silent."""
        counters = self.engine.counters()
        late = {kind: total - self._late_before[kind] for kind, total in late_counts(counters).items()}
        grown = {kind: n - self.stats.late.get(kind, 0) for kind, n in late.items()}
        if any(grown.values()):
            watermark = counters["inputs"][self.input.alias]["watermark_us"]
            log.warning(
                "events after the watermark (%s us) in this cycle: %s; totals of this run: %s",
                watermark,
                {kind: n for kind, n in grown.items() if n},
                late,
            )
        self.stats.late = late

    def write(self, work: CycleOutput) -> dict[int, int]:
        """Make a cycle's outputs durable, then checkpoint; returns the offsets that may be committed."""
        outputs = work.outputs
        eventhub_aliases = self.kafka.outputs
        if outputs:
            self.kafka.write(b for b in outputs if b.output in eventhub_aliases)
            if self.blobs is not None:
                to_blobs = (b for b in outputs if b.output not in eventhub_aliases)
                blobs = self.blobs.plan(to_blobs, self.checkpoint.sequence)
                if blobs:
                    self.store.begin(list(blobs))  # journal first: a crash now leaves blobs to remove
                    self.blobs.upload(blobs)
            self.kafka.flush()
            rows_out = self.stats.rows_out
            for batch in outputs:
                rows_out[batch.output] = rows_out.get(batch.output, 0) + len(batch.lines)
            self.stats.rejected += work.rejected
        self.checkpoint.offsets.update(work.next_offsets)
        if work.topic_id is not None:
            self.checkpoint.topic_id = work.topic_id
        self.checkpoint.sequence += 1
        self.checkpoint.engine = work.engine_state
        self.store.save(self.checkpoint)
        self.store.end()
        self.stats.cycles += 1
        return dict(self.checkpoint.offsets)

    def run(
        self, stop: threading.Event, idle_exit_s: float | None = None, max_events: int | None = None
    ) -> RunStats:
        """Cycle until `stop` is set (SIGTERM), `max_events` were read, or no event came for `idle_exit_s`.

        Pipelined: while a writer thread makes one cycle's outputs durable and checkpoints them, this
        thread reads and computes the next (at most one cycle waits between them). Cycles are written
        in order, and offsets are committed only once their cycle's checkpoint is saved.
        """
        with tuned_for_batches():
            return self._run(stop, idle_exit_s, max_events)

    def _run(self, stop: threading.Event, idle_exit_s: float | None, max_events: int | None) -> RunStats:
        last_event = last_metrics = time.monotonic()
        writer = CycleWriter(self.write)
        try:
            while not stop.is_set():
                self.source.commit(writer.durable_offsets())
                if time.monotonic() - last_metrics >= 1.0:
                    self.save_metrics()
                    last_metrics = time.monotonic()
                work = self.compute()
                if work is not None:
                    writer.submit(work)
                    if work.events:
                        last_event = time.monotonic()
                if max_events is not None and self.stats.events_in >= max_events:
                    break
                if idle_exit_s is not None and time.monotonic() - last_event >= idle_exit_s:
                    break
            writer.finish()
            self.source.commit(writer.durable_offsets())
            self.save_metrics()
        finally:
            writer.abandon()
            self.close()
        return self.stats

    def close(self) -> None:
        self.source.close()
        try:
            self.kafka.flush()
        finally:
            self.kafka.close()
            self.engine.close()


class CycleWriter:
    """A thread that writes computed cycles in order and reports the offsets they made durable."""

    def __init__(self, write: Callable[[CycleOutput], dict[int, int]]) -> None:
        self._write = write
        self._queue: queue.Queue[CycleOutput | None] = queue.Queue(maxsize=1)
        self._lock = threading.Lock()
        self._durable: dict[int, int] = {}
        self._error: BaseException | None = None
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="cycle-writer", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stopping.is_set():
            try:
                work = self._queue.get(timeout=0.1)
            except queue.Empty:
                continue
            if work is None:
                return
            try:
                offsets = self._write(work)
            except BaseException as exc:  # handed to the reading thread, which raises it
                self._error = exc
                return
            with self._lock:
                self._durable = offsets

    def _raise_if_failed(self) -> None:
        if self._error is not None:
            raise self._error  # the writing stage's own error (SinkError, CheckpointError, ...)

    def submit(self, work: CycleOutput | None) -> None:
        """Queue a cycle (None: the end); waits while the writer is busy with one and another is queued."""
        while True:
            self._raise_if_failed()
            if not self._thread.is_alive():
                raise RunError("the output writer stopped")
            try:
                self._queue.put(work, timeout=0.1)
                return
            except queue.Full:
                continue

    def durable_offsets(self) -> dict[int, int]:
        """Offsets of every cycle written and checkpointed so far (to commit); raises the writer's error."""
        self._raise_if_failed()
        with self._lock:
            offsets, self._durable = self._durable, {}
        return offsets

    def finish(self) -> None:
        """Write everything queued, then stop; raises the writer's error."""
        self.submit(None)
        self._thread.join()
        self._raise_if_failed()

    def abandon(self) -> None:
        """Stop after the cycle being written (on an error: queued cycles are read again after a restart)."""
        self._stopping.set()
        self._thread.join()
