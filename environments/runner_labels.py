"""The GitHub Actions `runs-on` labels of an environment's deploy jobs, as the workflow reads them.

`python -m environments runner <env> [<env> ...]` prints them as JSON (a list for one environment, an
object by environment name for several); with `--github-output` it also writes
`labels=<json>` to the file `$GITHUB_OUTPUT` names, for `runs-on: ${{ fromJSON(needs.runner.outputs.labels) }}`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from environments.errors import EnvironmentsError
from environments.model import Environment

OUTPUT_NAME = "labels"


def runner_labels(envs: list[Environment]) -> str:
    """Compact JSON: one environment's `runner:` labels, or `{env: labels}` for several (a matrix workflow
    indexes it with `fromJSON(...)[matrix.environment]`)."""
    if len(envs) == 1:
        return json.dumps(envs[0].runner, separators=(",", ":"))
    return json.dumps({env.name: env.runner for env in envs}, separators=(",", ":"))


def write_github_output(labels: str) -> Path:
    """Append `labels=<json>` to the step-output file GitHub Actions gives in $GITHUB_OUTPUT."""
    target = os.environ.get("GITHUB_OUTPUT")
    if not target:
        raise EnvironmentsError("--github-output: $GITHUB_OUTPUT is not set (only a workflow step sets it)")
    with Path(target).open("a", encoding="utf-8") as output:
        output.write(f"{OUTPUT_NAME}={labels}\n")
    return Path(target)
