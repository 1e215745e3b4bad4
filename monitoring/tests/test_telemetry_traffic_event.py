"""The `traffic` event of the inference log (pure logic): what the export's KQL and `export/rows.py` read."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from environments.inference_log import LIVE_FIELD, TRAFFIC_EVENT_NAME, parse_live
from monitoring.telemetry import InferenceRecordError
from monitoring.telemetry.records import CUSTOM_EVENT_NAME_ATTRIBUTE, to_traffic_event


def test_the_traffic_event_names_the_live_deployments_sorted_and_is_never_sampled() -> None:
    when = datetime(2026, 11, 30, 9, 15, tzinfo=UTC)
    event = to_traffic_event(["green", "blue", "green"], when)
    assert event.attributes[CUSTOM_EVENT_NAME_ATTRIBUTE] == TRAFFIC_EVENT_NAME
    assert event.attributes[LIVE_FIELD] == '["blue","green"]'
    assert parse_live(event.attributes[LIVE_FIELD]) == frozenset({"blue", "green"})
    assert event.attributes["time"] == "2026-11-30T09:15:00.000000Z"
    assert float(event.attributes["sampling_ratio"]) == 1.0


def test_no_live_deployment_is_an_empty_list_and_a_blank_name_is_refused() -> None:
    assert to_traffic_event([]).attributes[LIVE_FIELD] == "[]"
    with pytest.raises(InferenceRecordError, match="non-empty names"):
        to_traffic_event(["blue", ""])


@pytest.mark.parametrize("text", ['{"blue": 1}', "blue", "[1]"])
def test_an_unreadable_live_field_is_named(text: str) -> None:
    with pytest.raises(ValueError, match=LIVE_FIELD):
        parse_live(text)
