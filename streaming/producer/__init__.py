"""Event producer: generated or replayed card transactions to Event Hubs' Kafka endpoint or the local broker."""

from streaming.producer.events import EventGenerator
from streaming.producer.replay import read_events
from streaming.producer.sender import ProduceError, SendReport, send_events

__all__ = ["EventGenerator", "ProduceError", "SendReport", "read_events", "send_events"]
