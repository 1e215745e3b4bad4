"""The input: a Kafka consumer on the input topic, manual commits, start offsets from the checkpoint."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from confluent_kafka import TIMESTAMP_NOT_AVAILABLE, Consumer, KafkaError, KafkaException, TopicPartition

from streaming.engine import InputEvent
from streaming.runtime.connections import FAST_GROUP_JOIN
from streaming.runtime.errors import RunError

log = logging.getLogger(__name__)


@dataclass
class Batch:
    events: list[InputEvent]
    next_offsets: dict[int, int]
    undecodable: int


class KafkaSource:
    """Reads one topic in a consumer group; never commits on its own."""

    def __init__(
        self, client_config: Mapping[str, Any], topic: str, group: str, start_offsets: Mapping[int, int]
    ) -> None:
        self.topic = topic
        self.start_offsets = dict(start_offsets)
        self.consumer = Consumer(
            {
                **client_config,
                **FAST_GROUP_JOIN,
                "group.id": group,
                "enable.auto.commit": False,
                "auto.offset.reset": "earliest",
                # A long endpoint outage blocks the loop; the group must keep the partitions meanwhile.
                "max.poll.interval.ms": 3_600_000,
            }
        )
        self.consumer.subscribe([topic], on_assign=self._on_assign)

    def _on_assign(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        for partition in partitions:
            if partition.partition in self.start_offsets:
                partition.offset = self.start_offsets[partition.partition]
        consumer.assign(partitions)

    def poll(self, max_events: int, timeout_s: float) -> Batch:
        messages = self.consumer.consume(num_messages=max_events, timeout=timeout_s)
        events: list[InputEvent] = []
        offsets: dict[int, int] = {}
        undecodable = 0
        for message in messages:
            error = message.error()
            if error is not None:
                if error.code() == KafkaError._PARTITION_EOF:
                    continue
                raise RunError(f"topic {self.topic}: read failed: {error}")
            partition, offset = message.partition(), message.offset()
            offsets[partition] = offset + 1
            try:
                payload = orjson.loads(message.value())
                if not isinstance(payload, dict):
                    raise ValueError("not a JSON object")
            except (ValueError, TypeError) as exc:
                # Stream Analytics drops events it cannot deserialize and logs them; so does the runtime.
                undecodable += 1
                log.warning(
                    "topic %s partition %d offset %d: dropped, %s", self.topic, partition, offset, exc
                )
                continue
            kind, millis = message.timestamp()
            arrival = (
                datetime.now(UTC)
                if kind == TIMESTAMP_NOT_AVAILABLE
                else datetime.fromtimestamp(millis / 1000, UTC)
            )
            events.append(InputEvent(payload, arrival, partition))
        return Batch(events, offsets, undecodable)

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
