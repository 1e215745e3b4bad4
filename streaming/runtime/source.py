"""The input: a Kafka consumer on the input topic, manual commits, start offsets from the checkpoint."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, cast

from confluent_kafka import (
    TIMESTAMP_NOT_AVAILABLE,
    Consumer,
    KafkaError,
    KafkaException,
    Message,
    TopicPartition,
)

from streaming.dead_letter import RejectedEvent
from streaming.runtime.connections import FAST_GROUP_JOIN
from streaming.runtime.decoding import decode_batch
from streaming.runtime.errors import RunError
from streaming.runtime.progress import PartitionProgress
from streaming.runtime.resume import Resume, resume_position

log = logging.getLogger(__name__)


@dataclass
class Batch:
    """One poll's decodable events as columns (the engine's `process_columns`), and where to resume;
    the events that cannot be decoded, with their reason, in `rejected`."""

    payloads: list[dict[str, Any]]
    arrivals_us: list[int]
    """Broker timestamps (producer or append time) in microseconds."""
    partitions: list[int]
    next_offsets: dict[int, int]
    rejected: list[RejectedEvent]
    offsets: list[int]
    """Each decoded event's offset, and below its original bytes (for the dead letter)."""
    values: list[bytes | None]
    idle_arrivals_us: dict[int, int] = field(default_factory=dict)
    """Partitions whose backlog is read after this poll -> their estimated arrival clock (`progress.py`)."""

    def __len__(self) -> int:
        return len(self.payloads)

    def reject(self, index: int, reason: str) -> RejectedEvent:
        """Decoded event `index`, rejected later (no usable event time, early): its dead-letter entry."""
        return RejectedEvent(
            self.partitions[index], self.offsets[index], self.values[index], self.arrivals_us[index], reason
        )


class KafkaSource:
    """Reads one topic in a consumer group; never commits on its own."""

    def __init__(
        self,
        client_config: Mapping[str, Any],
        topic: str,
        group: str,
        start_offsets: Mapping[int, int],
        topic_identity: str = "unknown",
    ) -> None:
        self.topic = topic
        self.start_offsets = dict(start_offsets)
        self.topic_identity = topic_identity
        """"recreated", "same" or "unknown": the topic's id against the checkpoint's (`resume.py`)."""
        self.assigned = False
        """Partitions were assigned (their start offsets decided) at least once."""
        self.resets: list[Resume] = []
        """Partitions whose checkpoint offset did not fit the broker's range (`resume.py`), in order."""
        self._unsaved_resets: dict[int, int] = {}
        self.consumer = Consumer(
            {
                **client_config,
                **FAST_GROUP_JOIN,
                "group.id": group,
                "enable.auto.commit": False,
                "auto.offset.reset": "earliest",
                # A long endpoint outage blocks the loop; the group must keep the partitions meanwhile.
                "max.poll.interval.ms": 3_600_000,
                # How long the broker may hold a fetch that finds nothing new. The local broker answered
                # only after ~200 ms with the default (500), even when events arrived meanwhile (6 ms
                # with 20); with Event Hubs a shorter wait only means more requests while idle.
                "fetch.wait.max.ms": 20,
                # A notice when a partition's end is reached: where the reader stands in a partition it
                # has read nothing from (idle watermark progress needs it, `progress.py`).
                "enable.partition.eof": True,
            }
        )
        self.progress = PartitionProgress()
        self.consumer.subscribe([topic], on_assign=self._on_assign)

    def _on_assign(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        for partition in partitions:
            if partition.partition in self.start_offsets:
                partition.offset = self._resume(consumer, partition.partition)
        consumer.assign(partitions)
        self.assigned = True

    def _resume(self, consumer: Consumer, partition: int) -> int:
        """The checkpoint's offset for `partition`, checked against the broker's range (`resume.py`)."""
        offset = self.start_offsets[partition]
        try:
            low, high = consumer.get_watermark_offsets(
                TopicPartition(self.topic, partition), timeout=10, cached=False
            )
        except KafkaException as exc:
            raise RunError(
                f"topic {self.topic} partition {partition}: cannot read its offsets: {exc}"
            ) from exc
        resume = resume_position(partition, offset, low, high, self.topic_identity)
        if resume.reason is not None:
            log.warning("topic %s %s", self.topic, resume.message)
            self.resets.append(resume)
            self.start_offsets[partition] = resume.offset
            self._unsaved_resets[partition] = resume.offset
        return resume.offset

    def poll(self, max_events: int, timeout_s: float) -> Batch:
        messages = self.consumer.consume(num_messages=max_events, timeout=timeout_s)
        now_us = time.time_ns() // 1000
        if any(message.error() is not None for message in messages):
            messages = self._readable(messages)
        # confluent-kafka types both as optional: a message read from a partition always has them
        partitions = cast(list[int], [message.partition() for message in messages])
        offsets = cast(list[int], [message.offset() for message in messages])
        next_offsets = {partition: offset + 1 for partition, offset in zip(partitions, offsets, strict=True)}
        arrivals = self._arrivals(messages)
        latest: dict[int, int] = {}
        for partition, arrival in zip(partitions, arrivals, strict=True):
            if arrival > latest.get(partition, arrival - 1):
                latest[partition] = arrival
        for partition, arrival in latest.items():
            self.progress.read(partition, next_offsets[partition], arrival, now_us)
        if self._unsaved_resets:  # the new positions go into the next checkpoint, even with no event read
            next_offsets = {**self._unsaved_resets, **next_offsets}
            self._unsaved_resets = {}
        values = [message.value() for message in messages]
        payloads, rejections = decode_batch(values)
        if rejections:
            batch = self._without_rejected(messages, payloads, rejections, next_offsets, arrivals)
        else:
            batch = Batch(
                cast(list[dict[str, Any]], payloads), arrivals, partitions, next_offsets, [], offsets, values
            )
        batch.idle_arrivals_us = self.progress.idle_arrivals(self._high_watermarks(), now_us)
        return batch

    def partition_count(self, timeout_s: float = 10.0) -> int | None:
        """How many partitions the topic has, from the broker's metadata (None: the broker does not say)."""
        try:
            topic = self.consumer.list_topics(self.topic, timeout=timeout_s).topics.get(self.topic)
        except KafkaException as exc:
            log.warning("topic %s: partition count not checked, metadata not read: %s", self.topic, exc)
            return None
        if topic is None or topic.error is not None:
            return None
        return len(topic.partitions)

    def _high_watermarks(self) -> dict[int, int]:
        """The end offset of each assigned partition as the broker last said in a fetch (-1001: not yet)."""
        ends = {}
        for assigned in self.consumer.assignment():
            low_high = self.consumer.get_watermark_offsets(assigned, cached=True)
            ends[assigned.partition] = -1 if low_high is None else low_high[1]
        return ends

    def _readable(self, messages: list[Message]) -> list[Message]:
        """The messages without partition-end notices; any other error fails the read."""
        readable = []
        for message in messages:
            error = message.error()
            if error is None:
                readable.append(message)
            elif error.code() == KafkaError._PARTITION_EOF:
                self.progress.reached_end(cast(int, message.partition()), cast(int, message.offset()))
            else:
                raise RunError(f"topic {self.topic}: read failed: {error}")
        return readable

    @staticmethod
    def _arrivals(messages: list[Message]) -> list[int]:
        now_us = time.time_ns() // 1000
        return [
            now_us if kind == TIMESTAMP_NOT_AVAILABLE else millis * 1000
            for kind, millis in (message.timestamp() for message in messages)
        ]

    def _without_rejected(
        self,
        messages: list[Message],
        payloads: list[dict[str, Any] | None],
        rejections: list[tuple[int, str]],
        next_offsets: dict[int, int],
        arrivals: list[int],
    ) -> Batch:
        """The batch without the events that cannot be decoded, which go to `rejected` (the runner
        dead-letters and logs them)."""
        rejected = []
        for index, reason in rejections:
            message = messages[index]
            rejected.append(
                RejectedEvent(
                    cast(int, message.partition()),
                    cast(int, message.offset()),
                    message.value(),
                    arrivals[index],
                    reason,
                )
            )
        kept = [i for i, payload in enumerate(payloads) if payload is not None]
        return Batch(
            [payload for payload in payloads if payload is not None],
            [arrivals[i] for i in kept],
            cast(list[int], [messages[i].partition() for i in kept]),
            next_offsets,
            rejected,
            cast(list[int], [messages[i].offset() for i in kept]),
            [messages[i].value() for i in kept],
        )

    def commit(self, offsets: Mapping[int, int]) -> None:
        if not offsets:
            return
        try:
            self.consumer.commit(
                offsets=[TopicPartition(self.topic, p, o) for p, o in sorted(offsets.items())],
                asynchronous=False,
            )
        except KafkaException as exc:
            raise RunError(f"topic {self.topic}: offset commit failed: {exc}") from exc

    def close(self) -> None:
        self.consumer.close()
