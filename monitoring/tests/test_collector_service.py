"""The collector process over HTTP: item-by-item verdicts, queries, durability across a restart."""

from __future__ import annotations

import gzip
import json
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

from environments.standins import StandInError
from environments.standins.well_known import DEVELOPMENT_IKEY
from environments.testing import status_before_body
from monitoring.collector.envelopes import MAX_DECODED_BYTES
from monitoring.testing import RunningCollector, start_collector


def post(url: str, body: bytes, encoding: str = "") -> tuple[int, dict]:
    headers = {"Content-Type": "application/json", **({"Content-Encoding": encoding} if encoding else {})}
    request = urllib.request.Request(f"{url}/v2.1/track", data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def event(run: str, i: int, minute: int = 0, ikey: str = "") -> dict:
    return {
        "ver": 1,
        "name": "Microsoft.ApplicationInsights.Event",
        "time": f"2026-11-28T08:{minute:02d}:00.000Z",
        "iKey": ikey,
        "tags": {"ai.cloud.role": "test"},
        "data": {
            "baseType": "EventData",
            "baseData": {"ver": 2, "name": f"evt-{run}", "properties": {"run": run, "i": str(i)}},
        },
    }


def test_malformed_envelopes_are_rejected_one_by_one_and_valid_ones_kept(collector: RunningCollector) -> None:
    run = uuid.uuid4().hex[:8]
    batch = [
        event(run, 0, ikey=collector.ikey),
        {"name": "no data", "iKey": "k", "time": "2026-11-28T08:00:00Z"},
        42,
        event(run, 3, ikey=collector.ikey),
    ]
    status, answer = post(collector.url, gzip.compress(json.dumps(batch).encode()), "gzip")
    assert status == 206
    assert answer["itemsReceived"] == 4 and answer["itemsAccepted"] == 2
    assert [(e["index"], e["statusCode"]) for e in answer["errors"]] == [(1, 400), (2, 400)]
    assert "data" in answer["errors"][0]["message"]
    kept = collector.query("items", type="event", name=f"evt-{run}")
    assert [row["properties"]["i"] for row in kept] == ["0", "3"]


def test_a_body_that_is_not_a_batch_is_a_400_and_the_service_keeps_running(
    collector: RunningCollector,
) -> None:
    status, answer = post(collector.url, b"[{not json", "")
    assert status == 400 and answer["itemsAccepted"] == 0 and answer["errors"][0]["index"] == 0
    assert collector.healthy()


def test_queries_filter_by_half_open_time_range_and_dimension(collector: RunningCollector) -> None:
    run = uuid.uuid4().hex[:8]
    lines = "\n".join(json.dumps(event(run, i, minute=i, ikey=collector.ikey)) for i in range(4)).encode()
    assert post(collector.url, lines)[0] == 200
    window = {"from": "2026-11-28T08:01:00Z", "to": "2026-11-28T08:03:00Z"}
    rows = collector.query("items", name=f"evt-{run}", **window)
    assert [row["properties"]["i"] for row in rows] == ["1", "2"]
    assert [r["properties"]["i"] for r in collector.query("items", dim_run=run, dim_i="3")] == ["3"]


def test_an_empty_dimension_value_matches_it_absent_or_empty(collector: RunningCollector) -> None:
    """`dim.probe=` is KQL's `isempty(customDimensions["probe"])`: the loop counts the inference rows that
    are not probe traffic this way, so a smoke test's rows never make up for missing real ones."""
    run = uuid.uuid4().hex[:8]
    items = [event(run, i, ikey=collector.ikey) for i in range(4)]
    items[1]["data"]["baseData"]["properties"]["probe"] = "smoke"
    items[2]["data"]["baseData"]["properties"]["probe"] = ""
    assert post(collector.url, "\n".join(json.dumps(item) for item in items).encode())[0] == 200
    assert sorted(r["properties"]["i"] for r in collector.query("items", dim_run=run, dim_probe="")) == [
        "0",
        "2",
        "3",
    ]
    assert collector.get(f"/query/count?dim.run={run}&dim.probe=") == {"count": 3}
    assert collector.get(f"/query/count?dim.run={run}&dim.probe=smoke") == {"count": 1}


def test_bad_query_parameter_is_named(collector: RunningCollector) -> None:
    with pytest.raises(urllib.error.HTTPError) as failure:
        collector.query("metrics", since="yesterday")
    assert failure.value.code == 400
    assert "unknown parameter 'since'" in json.loads(failure.value.read())["error"]


@pytest.mark.services
def test_accepted_items_survive_a_restart(tmp_path: Path) -> None:
    first = start_collector(tmp_path)
    try:
        assert post(first.url, json.dumps([event("durable", 0, ikey=first.ikey)]).encode())[0] == 200
    finally:
        first.stop()
    second = start_collector(tmp_path)
    try:
        assert [row["name"] for row in second.query("items", name="evt-durable")] == ["evt-durable"]
    finally:
        second.stop()


@pytest.mark.services
def test_a_restart_keeps_the_keys_and_refuses_another_instrumentation_key(tmp_path: Path) -> None:
    first = start_collector(tmp_path, ikey=DEVELOPMENT_IKEY)
    first.stop()
    with pytest.raises(StandInError, match=r"keys\.json"):
        start_collector(tmp_path, ikey=str(uuid.uuid4()))
    second = start_collector(tmp_path)
    try:
        assert (second.ikey, second.query_key) == (DEVELOPMENT_IKEY, first.query_key)
    finally:
        second.stop()


def test_count_matches_the_rows_a_query_returns(collector: RunningCollector) -> None:
    run = uuid.uuid4().hex[:8]
    lines = "\n".join(json.dumps(event(run, i, minute=i, ikey=collector.ikey)) for i in range(4)).encode()
    assert post(collector.url, lines)[0] == 200
    window = {"from": "2026-11-28T08:01:00Z", "to": "2026-11-28T08:04:00Z", "limit": "1"}
    count = collector.get(f"/query/count?name=evt-{run}&from={window['from']}&to={window['to']}")
    assert count == {"count": 3}
    assert len(collector.query("items", name=f"evt-{run}", **window)) == 1


def test_an_oversized_body_is_refused_with_413_before_it_is_read(collector: RunningCollector) -> None:
    assert status_before_body(collector.port, "/v2.1/track", 50 * 1024 * 1024) == 413


def test_a_gzip_body_that_inflates_past_the_limit_is_refused(collector: RunningCollector) -> None:
    bomb = gzip.compress(b" " * (MAX_DECODED_BYTES + 1))
    request = urllib.request.Request(
        f"{collector.url}/v2.1/track", data=bomb, method="POST", headers={"Content-Encoding": "gzip"}
    )
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=30)
    assert caught.value.code == 400
    assert "inflates past" in caught.value.read().decode()


def test_the_store_is_readable_by_its_owner_only(collector: RunningCollector) -> None:
    stored = [
        path for path in collector.db_path.parent.iterdir() if path.name.startswith(collector.db_path.name)
    ]
    assert stored
    for path in stored:
        assert path.stat().st_mode & 0o077 == 0, f"{path} is {oct(path.stat().st_mode)}"


def test_an_envelope_for_another_instrumentation_key_is_rejected(collector: RunningCollector) -> None:
    """Nobody without the key can plant telemetry (forged drift metrics would drive alerts and retraining)."""
    run = uuid.uuid4().hex[:8]
    batch = [event(run, 0, ikey=collector.ikey), event(run, 1, ikey=DEVELOPMENT_IKEY)]
    status, answer = post(collector.url, json.dumps(batch).encode())
    assert status == 206 and answer["itemsAccepted"] == 1
    assert [(e["index"], e["statusCode"]) for e in answer["errors"]] == [(1, 400)]
    assert "Invalid instrumentation key" in answer["errors"][0]["message"]
    assert collector.ikey not in json.dumps(answer)
    assert [row["properties"]["i"] for row in collector.query("items", name=f"evt-{run}")] == ["0"]


@pytest.mark.parametrize("route", ["/query/inferences", "/query/metrics", "/query/items", "/query/count"])
@pytest.mark.parametrize("authorization", [None, "Bearer wrong", "wrong"])
def test_queries_need_the_query_key(
    collector: RunningCollector, route: str, authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    request = urllib.request.Request(f"{collector.url}{route}", headers=headers)
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 401
    assert "STREAMSCORE_COLLECTOR_KEY" in json.loads(refused.value.read())["error"]
    assert collector.healthy()  # /health stays open for readiness checks


@pytest.mark.services
def test_a_refused_role_gets_application_insights_403_and_nothing_is_kept(tmp_path: Path) -> None:
    """`--refuse-role`: the answer Application Insights gives a caller without Monitoring Metrics Publisher
    (https://learn.microsoft.com/azure/azure-monitor/app/azure-ad-authentication#troubleshooting)."""
    collector = start_collector(tmp_path / "refusing", refuse_roles=("rollout",))
    try:
        refused = {**event("r", 0, ikey=collector.ikey), "tags": {"ai.cloud.role": "rollout"}}
        kept = event("k", 0, ikey=collector.ikey)
        request = urllib.request.Request(
            f"{collector.url}/v2.1/track",
            data=json.dumps([kept, refused]).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with pytest.raises(urllib.error.HTTPError) as answer:
            urllib.request.urlopen(request, timeout=10)
        assert answer.value.code == 403
        assert answer.value.reason.endswith(
            "do not grant the access to ingest the telemetry into the component"
        )
        assert post(collector.url, json.dumps([kept]).encode())[0] == 200, "other roles are ingested"
        assert collector.count(name="evt-k") == 1 and collector.count(name="evt-r") == 0
    finally:
        collector.stop()
