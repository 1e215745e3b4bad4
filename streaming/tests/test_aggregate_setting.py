"""`stream_analytics.aggregate_by` names the aggregate's category feature, checked against the data schema
when the environment is loaded and when it is rendered: a column the events do not carry would not fail
the query, it would group every event under NULL."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from environments.errors import ConfigError
from environments.loader import OVERRIDES_VARIABLE, load_environment
from environments.model import Environment
from environments.render import render_environment
from streaming import aliases, render_context
from streaming.engine import Engine, EventOrdering, InputEvent, compile_query, records


def _load_with(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, overrides: dict) -> Environment:
    override_file = tmp_path / "overrides.yml"
    override_file.write_text(json.dumps(overrides))
    monkeypatch.setenv(OVERRIDES_VARIABLE, str(override_file))
    return load_environment("local")


@pytest.mark.parametrize(
    ("column", "reason"),
    [
        ("merchant", "'merchant' is not a feature of schema card-transactions"),
        ("amount", "'amount' is a float feature of schema card-transactions, not a category"),
        ("is_foreign", "'is_foreign' is a boolean feature of schema card-transactions, not a category"),
    ],
)
def test_loading_refuses_a_column_that_is_not_a_category_feature(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, column: str, reason: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        _load_with(tmp_path, monkeypatch, {"stream_analytics": {"aggregate_by": column}})
    (line,) = caught.value.problems
    assert f"stream_analytics.aggregate_by: {reason}" in line
    assert "(category features: merchant_category, channel)" in line


def test_the_card_demo_groups_by_merchant_category_and_null_leaves_the_aggregate_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = load_environment("local")
    assert render_context.aggregate_column(env) == "merchant_category"
    assert render_context.omitted(env) == set(render_context.REFERENCE_TEMPLATES)  # no reference input
    without = _load_with(tmp_path, monkeypatch, {"stream_analytics": {"aggregate_by": None}})
    assert render_context.aggregate_column(without) is None
    assert render_context.omitted(without) == set(
        render_context.AGGREGATE_TEMPLATES | render_context.REFERENCE_TEMPLATES
    )
    assert render_context.context(without)["aggregate"] is None


def test_rendering_refuses_an_environment_built_past_the_loader() -> None:
    env = load_environment("local")
    settings = env.stream_analytics.model_copy(update={"aggregate_by": "channel_name"})
    changed = env.model_copy(update={"stream_analytics": settings})
    with pytest.raises(ConfigError, match=r"aggregate_by: 'channel_name' is not a feature"):
        render_context.context(changed)


def test_the_engine_groups_a_column_the_events_lack_under_null() -> None:
    """Why the check exists: Stream Analytics reads a field an event lacks as NULL (a documented
    schema-less read, see `render_context.aggregate_column`), so the query compiles and runs, and the
    local engine emits one NULL group per window, as the service would."""
    plan = compile_query(
        "SELECT merchant_category, COUNT(*) AS events INTO [out] FROM [in] TIMESTAMP BY t "
        "GROUP BY merchant_category, TumblingWindow(minute, 1)"
    )
    engine = Engine(plan, EventOrdering(), None)
    arrival = datetime(2026, 11, 29, 10, 0, 5, tzinfo=UTC)
    events = [InputEvent({"t": "2026-11-29T10:00:01Z", "size_class": "small"}, arrival, 0)] * 2
    rows = [r.payload for r in records(engine.process("in", events))] + [
        r.payload for r in records(engine.flush())
    ]
    engine.close()
    assert rows == [{"merchant_category": None, "events": 2}]


@pytest.mark.parametrize("column", ["merchant_category", None])
def test_every_rendered_file_follows_the_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, column: str | None
) -> None:
    override_file = tmp_path / "overrides.yml"
    override_file.write_text(json.dumps({"stream_analytics": {"aggregate_by": column}}))
    monkeypatch.setenv(OVERRIDES_VARIABLE, str(override_file))
    render_environment("dev", out=tmp_path / "out", domains=("streaming",))
    folder = tmp_path / "out" / "streaming"
    listed = {
        c["filePath"] for c in json.loads((folder / "asa" / "asaproj.json").read_text())["configurations"]
    }
    on_disk = {p.relative_to(folder / "asa").as_posix() for p in (folder / "asa").rglob("*")}
    template = json.loads((folder / "arm" / "stream-job.json").read_text())
    job = next(r for r in template["resources"] if r["type"] == "Microsoft.StreamAnalytics/streamingjobs")
    arm_outputs = {o["name"] for o in job["properties"]["outputs"]}
    test_config = json.loads((folder / "asa" / "test" / "testConfig.json").read_text())
    expected_aliases = {
        o["OutputAlias"] for case in test_config["TestCases"] for o in case["ExpectedOutputs"]
    }
    aggregate_files = {
        f"Outputs/{aliases.OUTPUT_CATEGORY_AGGREGATES}.json",
        "test/valid-and-invalid.aggregates.json",
        "test/late-and-out-of-order.aggregates.json",
        "test/partitions.aggregates.json",
    }
    present = column is not None
    assert (f"Outputs/{aliases.OUTPUT_CATEGORY_AGGREGATES}.json" in listed) == present
    assert (aggregate_files <= on_disk) == present and (aggregate_files & on_disk == set()) == (not present)
    assert (aliases.OUTPUT_CATEGORY_AGGREGATES in arm_outputs) == present
    assert (aliases.OUTPUT_CATEGORY_AGGREGATES in expected_aliases) == present
    assert (
        f"INTO [{aliases.OUTPUT_CATEGORY_AGGREGATES}]"
        in job["properties"]["transformation"]["properties"]["query"]
    ) == present
