"""The pipelined run loop's writer (cycles written in order, offsets reported only once written, the
writer's error raised in the reading thread) and the source's per-message decoding fallback."""

from __future__ import annotations

import threading
import time
import uuid

import pytest
from confluent_kafka import Producer

from environments.standins import Broker, wait_until
from streaming.runtime import ensure_topics
from streaming.runtime.errors import SinkError
from streaming.runtime.loop import CycleOutput, CycleWriter
from streaming.runtime.source import KafkaSource


def work(number: int) -> CycleOutput:
    return CycleOutput(outputs=[], next_offsets={0: number}, engine_state={}, events=1)


def test_cycles_are_written_in_order_and_their_offsets_reported_after() -> None:
    written: list[int] = []
    release = threading.Event()

    def write(cycle: CycleOutput) -> dict[int, int]:
        release.wait(10)
        written.append(cycle.next_offsets[0])
        return dict(cycle.next_offsets)

    writer = CycleWriter(write)
    writer.submit(work(1))
    assert writer.durable_offsets() == {}, "nothing is durable before its cycle is written"
    release.set()
    for number in range(2, 6):
        writer.submit(work(number))
    writer.finish()
    assert written == [1, 2, 3, 4, 5]
    assert writer.durable_offsets() == {0: 5}


def poll_until_raised(writer: CycleWriter, deadline: float) -> None:
    """Ask for durable offsets until the writer's error reaches this thread (returns if it never does)."""
    while time.monotonic() < deadline:
        assert writer.durable_offsets() == {}, "a failed cycle must never be reported durable"
        time.sleep(0.01)


def test_a_failed_write_is_raised_by_the_reading_thread() -> None:
    def write(cycle: CycleOutput) -> dict[int, int]:
        raise SinkError(f"blob out-0/{cycle.next_offsets[0]}: upload failed")

    writer = CycleWriter(write)
    writer.submit(work(7))
    with pytest.raises(SinkError, match="out-0/7"):
        poll_until_raised(writer, deadline=time.monotonic() + 10)
    with pytest.raises(SinkError):
        writer.submit(work(8))
    writer.abandon()


@pytest.mark.services
def test_undecodable_messages_are_kept_for_the_dead_letter(kafka_broker: Broker) -> None:
    topic = f"decode-{uuid.uuid4().hex[:6]}"
    config = {"bootstrap.servers": kafka_broker.bootstrap_servers}
    ensure_topics(config, [topic], 1)
    producer = Producer(config)
    for value in (b'{"id": 1}', b"{not json", b"[1, 2]", b'{"id": 2}'):
        producer.produce(topic, value=value, partition=0)
    assert producer.flush(30) == 0
    source = KafkaSource(config, topic, f"g-{topic}", {})
    try:
        batches = []

        def read() -> bool:
            batches.append(source.poll(100, 0.5))
            return sum(len(b) + len(b.rejected) for b in batches) >= 4

        wait_until(read, 60, "four messages read")
    finally:
        source.close()
    assert [p for b in batches for p in b.payloads] == [{"id": 1}, {"id": 2}]
    rejected = [r for b in batches for r in b.rejected]
    assert [(r.offset, r.value) for r in rejected] == [(1, b"{not json"), (2, b"[1, 2]")]
    assert "not JSON" in rejected[0].reason and "array" in rejected[1].reason
    assert [o for b in batches for o in b.offsets] == [0, 3]
    assert [len(b.arrivals_us) for b in batches] == [len(b) for b in batches]
    assert batches[-1].next_offsets == {0: 4}
