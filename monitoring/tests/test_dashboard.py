"""The monitoring dashboard: the Azure workbook template renders and validates in every Azure environment
with every panel, and the local page, drawn from the real collector holding records sent by the real
exporter, opens in a real headless browser with its plots laid out."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from environments import stream_aliases as aliases
from environments.arm.validate import validate_directory
from environments.loader import load_environment
from environments.local_secrets import COLLECTOR_KEY_VARIABLE
from environments.render import render_template
from monitoring.cli.dashboard import main as dashboard_main
from monitoring.dashboard.panels import dashboard_panels
from monitoring.testing import RunningCollector, run_sender

TEMPLATE = "monitoring/templates/arm/dashboard-workbook.json.j2"
BROWSERS = ("chromium", "chromium-browser", "google-chrome")


def _workbook(env_name: str, folder: Path) -> dict:
    render_template(load_environment(env_name), TEMPLATE, folder / "dashboard-workbook.json")
    return json.loads((folder / "dashboard-workbook.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("env_name", ["dev", "staging", "prod"])
def test_workbook_template_validates_and_holds_every_panel(env_name: str, tmp_path: Path) -> None:
    template = _workbook(env_name, tmp_path)
    assert validate_directory(tmp_path) == [tmp_path / "dashboard-workbook.json"]
    (workbook,) = template["resources"]
    assert workbook["type"] == "Microsoft.Insights/workbooks"
    assert workbook["properties"]["serializedData"] == "[string(variables('workbook'))]"
    content = template["variables"]["workbook"]
    items = {item["name"]: item for item in content["items"]}
    env = load_environment(env_name)
    for panel in dashboard_panels(env):
        item = items[panel.key]
        if panel.metric:
            metric = item["content"]["metrics"][0]
            assert metric["metric"].endswith(f"--{panel.metric.name}")
            assert item["content"]["resourceIds"][0].startswith("[resourceId(")
        else:
            assert item["content"]["query"] == panel.kql
    # Drift panels read the metric the alert rules read, of this environment, against its threshold.
    drift = items["drift_numeric"]["content"]["query"]
    assert f'== "{env_name}"' in drift
    numeric = next(panel for panel in dashboard_panels(env) if panel.key == "drift_numeric")
    assert f'name == "{numeric.metric_name}"' in drift
    assert f"value = {numeric.threshold}" in drift
    assert items["dead_letter"]["content"]["filters"][0]["values"] == [aliases.OUTPUT_DEADLETTER]
    # Inference KQL reads the columns the telemetry sends (monitoring/telemetry/README.md).
    assert 'customDimensions["latency_ms"]' in items["latency"]["content"]["query"]
    assert 'where name == "inference"' in items["throughput"]["content"]["query"]


def _browser() -> str:
    for name in BROWSERS:
        if path := shutil.which(name):
            return path
    pytest.skip("no headless browser: install the Debian package `chromium` (apt-get install -y chromium)")


def _record(run: str, moment: datetime, i: int, error: str | None) -> dict:
    return {
        "request_id": f"{run}-{i}",
        "time": moment.isoformat().replace("+00:00", "Z"),
        "model_name": "card-fraud",
        "model_version": "3",
        "deployment": "blue",
        "features": {"amount": 10.0 + i},
        "score": None if error else 0.1,
        "error": error,
        "latency_ms": 2.0 + i,
    }


def _post_metrics(
    collector: RunningCollector, moment: datetime, metrics: list[tuple[str, float, dict]]
) -> None:
    envelopes = [
        {
            "ver": 1,
            "name": "Microsoft.ApplicationInsights.Metric",
            "time": moment.isoformat().replace("+00:00", "Z"),
            "iKey": collector.ikey,
            "tags": {"ai.cloud.role": "dashboard-test"},
            "data": {
                "baseType": "MetricData",
                "baseData": {
                    "ver": 2,
                    "metrics": [{"name": name, "value": value, "count": 1}],
                    "properties": dimensions,
                },
            },
        }
        for name, value, dimensions in metrics
    ]
    request = urllib.request.Request(
        f"{collector.url}/v2.1/track",
        data=json.dumps(envelopes).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert json.loads(response.read())["itemsAccepted"] == len(envelopes)


def test_local_dashboard_page_opens_in_a_headless_browser_with_its_plots(
    collector: RunningCollector, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(COLLECTOR_KEY_VARIABLE, collector.query_key)
    browser = _browser()
    env = load_environment("dev")
    panels = {panel.key: panel for panel in dashboard_panels(env)}
    run = uuid.uuid4().hex[:8]
    now = datetime.now(UTC).replace(microsecond=0)
    records = [
        _record(run, now - timedelta(minutes=3 - i % 3), i, "amount: missing" if i % 4 == 0 else None)
        for i in range(12)
    ]
    numeric = panels["drift_numeric"]
    metrics = [
        {
            "name": numeric.metric_name,
            "value": 0.02 * (k + 1),
            "dimensions": {"feature": feature, "environment": "dev"},
        }
        for k, feature in enumerate(numeric.features[:3])
    ]
    run_sender({"records": records, "metrics": metrics}, collector.connection_string)
    # Platform metrics under their Azure names (OpenTelemetry would lowercase an instrument's name), as
    # metric envelopes: the watermark delay, and output events of the dead-letter and the scored outputs.
    _post_metrics(
        collector,
        now,
        [
            ("OutputWatermarkDelaySeconds", 4.0, {}),
            ("OutputEvents", 5.0, {"LogicalName": aliases.OUTPUT_DEADLETTER}),
            ("OutputEvents", 50.0, {"LogicalName": aliases.OUTPUT_SCORED_BLOB}),
        ],
    )

    out = tmp_path / "dashboard.html"
    start, end = now - timedelta(hours=1), now + timedelta(hours=1)
    args = ["dev", "--collector", collector.url, "--from", start.isoformat(), "--to", end.isoformat()]
    assert dashboard_main([*args, "--out", str(out)]) == 0

    dom = subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--dump-dom",
            out.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    plotted = set(re.findall(r"id=\"panel-(\w+)\" data-plotted=\"true\"", dom))
    assert {"throughput", "latency", "invalid", "watermark_delay", "dead_letter", "drift_numeric"} <= plotted
    # A panel nothing was sent for says so instead of drawing an empty chart.
    assert 'id="panel-backlog" data-plotted="false"' in dom
    assert "no data in the time range: metric InputEventsSourcesBacklogged" in dom
    drawn = re.search(r'data-drawn-plots="(\d+)"', dom)
    assert drawn, "the page's script did not run in the browser"
    assert int(drawn.group(1)) == len(plotted)
    page = out.read_text(encoding="utf-8")
    assert page.count("<svg") == len(plotted)
    # The dead-letter panel draws the dead-letter output only, not the scored output beside it.
    dead_letter = page[page.index("id='panel-dead_letter'") : page.index("id='panel-watermark_delay'")]
    assert f">{aliases.OUTPUT_DEADLETTER}<" in dead_letter
    assert f">{aliases.OUTPUT_SCORED_BLOB}<" not in dead_letter
