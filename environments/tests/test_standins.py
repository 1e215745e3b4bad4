"""The broker and Azurite stand-ins start on loopback, serve real clients, and stop by PID."""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from azure.storage.blob import BlobServiceClient
from confluent_kafka import Consumer, Producer
from confluent_kafka.admin import AdminClient, NewTopic

from environments.standins import Azurite, Broker, StandInError, start_broker
from environments.standins.process import ManagedProcess, port_open, wait_until

pytestmark = pytest.mark.services  # every test here starts a stand-in


def test_broker_round_trips_a_message(kafka_broker: Broker) -> None:
    topic = f"t-{uuid.uuid4().hex[:8]}"
    admin = AdminClient({"bootstrap.servers": kafka_broker.bootstrap_servers})
    for future in admin.create_topics([NewTopic(topic, num_partitions=2)]).values():
        future.result(timeout=10)
    producer = Producer({"bootstrap.servers": kafka_broker.bootstrap_servers})
    producer.produce(topic, key=b"k", value=b'{"amount": 1.5}')
    assert producer.flush(10) == 0
    consumer = Consumer(
        {
            "bootstrap.servers": kafka_broker.bootstrap_servers,
            "group.id": topic,
            "auto.offset.reset": "earliest",
            "session.timeout.ms": 6000,
            "heartbeat.interval.ms": 1000,
        }
    )
    consumer.subscribe([topic])
    try:
        message = None
        for _ in range(300):
            message = consumer.poll(0.1)
            if message is not None and message.error() is None:
                break
        assert message is not None
        assert message.value() == b'{"amount": 1.5}'
    finally:
        consumer.close()


def test_azurite_round_trips_a_blob(azurite: Azurite) -> None:
    service = BlobServiceClient.from_connection_string(azurite.connection_string)
    container = service.get_container_client(f"c{uuid.uuid4().hex[:10]}")
    container.create_container()
    container.upload_blob("a/b.txt", b"hello")
    assert container.download_blob("a/b.txt").readall() == b"hello"


def test_broker_stops_by_pid_and_frees_its_port(tmp_path: Path) -> None:
    broker = start_broker(tmp_path)
    assert port_open(broker.port)
    broker.stop()
    assert not broker.process.alive()
    assert not port_open(broker.port)


def test_port_in_use_is_refused(kafka_broker: Broker, tmp_path: Path) -> None:
    with pytest.raises(StandInError, match="already in use"):
        start_broker(tmp_path, port=kafka_broker.port)


def test_a_process_that_exits_early_shows_its_log(tmp_path: Path) -> None:
    process = ManagedProcess("failing", ["sh", "-c", "echo boom; exit 3"], tmp_path / "failing.log").start()
    with pytest.raises(StandInError, match="boom"):
        process.wait_ready(lambda: False, timeout_s=10)


PARENT = """
import sys, time
from pathlib import Path
from environments.standins.process import ManagedProcess
child = ManagedProcess("sleeper", ["sleep", "600"], Path(sys.argv[1]), die_with_parent=True).start()
print(child.pid, flush=True)
time.sleep(600)
"""


def test_a_child_dies_with_its_parent_however_the_parent_dies(tmp_path: Path) -> None:
    """SIGKILL of the owner (nox killed, the loop killed) still ends what it started."""
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT, str(tmp_path / "sleeper.log")], stdout=subprocess.PIPE, text=True
    )
    try:
        child = int(parent.stdout.readline())
        assert Path(f"/proc/{child}").exists()
        parent.kill()
        parent.wait(timeout=30)
        wait_until(lambda: not _running(child), timeout_s=30, what=f"child {child} ending")
    finally:
        parent.kill()
        parent.wait()


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"
