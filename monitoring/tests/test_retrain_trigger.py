"""Local retraining decisions through the command seam, and the GitHub repository_dispatch request."""

from __future__ import annotations

import json
import subprocess
import sys

import httpx
import pytest

from monitoring.retrain.dispatch import dispatch_request, send_dispatch, token_from_reference
from monitoring.retrain.errors import DispatchError, StepError
from monitoring.retrain.local import RetrainSteps, _run, registration_from_output, retrain_locally

STEPS = RetrainSteps(pipeline=["pipeline"], rollout=["rollout"])


def _runner(answers: dict[str, tuple[int, str]]):
    calls: list[str] = []

    def run(argv: list[str]) -> subprocess.CompletedProcess[str]:
        calls.append(argv[0])
        code, out = answers[argv[0]]
        return subprocess.CompletedProcess(argv, code, out, "" if code == 0 else "boom")

    return run, calls


def _pipeline_output(registered: bool) -> str:
    registration = {"registered": registered, "reason": "margin", **({"version": "7"} if registered else {})}
    return "training data x (100 rows)\n" + json.dumps(
        {"registration": registration, "manifest": {}}, indent=2
    )


def test_gate_pass_rolls_out() -> None:
    run, calls = _runner({"pipeline": (0, _pipeline_output(True)), "rollout": (0, "ok")})
    outcome = retrain_locally(STEPS, run)
    assert (outcome.status, outcome.version, outcome.serving_kept) == ("rolled_out", "7", False)
    assert calls == ["pipeline", "rollout"]


def test_gate_reject_stops_before_rollout() -> None:
    run, calls = _runner({"pipeline": (0, _pipeline_output(False))})
    outcome = retrain_locally(STEPS, run)
    assert outcome.status == "gate_rejected" and outcome.serving_kept and "margin" in outcome.reason
    assert calls == ["pipeline"]


@pytest.mark.parametrize(
    ("answers", "status"),
    [
        ({"pipeline": (1, "")}, "pipeline_failed"),
        ({"pipeline": (0, _pipeline_output(True)), "rollout": (1, "")}, "rollout_failed"),
    ],
)
def test_failed_steps_keep_the_serving_model(answers: dict, status: str) -> None:
    run, _ = _runner(answers)
    outcome = retrain_locally(STEPS, run)
    assert outcome.status == status and outcome.serving_kept and "boom" in outcome.reason


def test_unreadable_pipeline_output_is_an_error() -> None:
    with pytest.raises(StepError, match="registration record"):
        registration_from_output("done\n")
    with pytest.raises(StepError, match="expected true or false"):
        registration_from_output('{"registration": {"registered": "yes"}}')


def test_commands_default_to_the_ml_cli_and_can_be_replaced() -> None:
    steps = RetrainSteps.for_environment("local", environ={})
    assert steps.pipeline[1:] == ["-m", "ml", "pipeline", "local"]
    assert steps.rollout[1:] == ["-m", "ml", "rollout", "local"]
    replaced = RetrainSteps.for_environment(
        "local",
        rollout_command="echo 'roll {env}'",
        environ={"STREAMSCORE_RETRAIN_PIPELINE_COMMAND": "train {env}"},
    )
    assert (replaced.pipeline, replaced.rollout) == (["train", "local"], ["echo", "roll local"])


def test_dispatch_request_is_the_github_contract() -> None:
    metrics = [{"feature": "amount", "metric": "normalized_wasserstein_distance", "value": 0.4}]
    request = dispatch_request("owner/repo", "t0ken", "prod", "card-fraud", metrics)
    assert (request.method, str(request.url)) == (
        "POST",
        "https://api.github.com/repos/owner/repo/dispatches",
    )
    assert request.headers["Authorization"] == "Bearer t0ken"
    assert request.headers["Accept"] == "application/vnd.github+json"
    assert json.loads(request.content) == {
        "event_type": "retrain",
        "client_payload": {"environment": "prod", "model": "card-fraud", "metrics": metrics},
    }
    with pytest.raises(DispatchError, match="owner/name"):
        dispatch_request("not-a-repo", "t", "prod", "m", [])


def test_send_dispatch_accepts_204_and_names_refusals() -> None:
    request = dispatch_request("owner/repo", "t", "dev", "m", [])
    seen: list[httpx.Request] = []

    def github(status: int):
        def handler(sent: httpx.Request) -> httpx.Response:
            seen.append(sent)
            return httpx.Response(status, json={"message": "Bad credentials"} if status != 204 else None)

        return httpx.Client(transport=httpx.MockTransport(handler))

    send_dispatch(request, github(204))
    assert seen[0].url.path == "/repos/owner/repo/dispatches"
    with pytest.raises(DispatchError, match=r"401.*Bad credentials"):
        send_dispatch(request, github(401))


def test_token_reference() -> None:
    assert token_from_reference("env:GH", {"GH": "x"}) == "x"
    with pytest.raises(DispatchError, match="GH"):
        token_from_reference("env:GH", {})
    with pytest.raises(DispatchError, match="Key Vault"):
        token_from_reference("keyvault:github-dispatch-token", {})


def test_the_real_runner_logs_the_pipeline_progress_as_it_comes_and_keeps_its_output(
    caplog: pytest.LogCaptureFixture,
) -> None:
    script = (
        "import json, sys\n"
        "print('step train: card_fraud_train', flush=True)\n"
        "print('train: roc_auc 0.86', flush=True)\n"
        "print('a warning', file=sys.stderr)\n"
        "print(json.dumps({'registration': {'registered': False, 'reason': 'worse'}}, indent=2))\n"
    )
    caplog.set_level("INFO", logger="streamscore.monitoring.retrain")
    done = _run([sys.executable, "-c", script])
    assert done.returncode == 0 and done.stderr == "a warning\n"
    assert registration_from_output(done.stdout) == {"registered": False, "reason": "worse"}
    logged = [record.getMessage() for record in caplog.records]
    assert logged == ["retrain:   step train: card_fraud_train", "retrain:   train: roc_auc 0.86"]
