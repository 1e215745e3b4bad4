"""`evaluate` component: the champion/challenger gate on the holdout.

The challenger is the model just trained; the champion is the registry's version tagged
`stage=production` (`ml.registry.champion`). Both are scored on the holdout, whose labels are the data's
own (label noise, a gate check, only touches the training split). The decision (register or not, and
why) goes to `evaluation.json` for the register step. A champion lookup that fails exits non-zero before
anything is written, so the pipeline stops instead of registering without a comparison.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import mlflow
from mlflow import MlflowClient

from environments.data_schema import load_data_schema
from ml.components.step_files import EVALUATION_FILE, HOLDOUT_FILE, read_frame, write_json
from ml.registry.champion import ChampionLookupError, find_champion
from ml.training import gate, metrics, model
from ml.training.model_contract import model_problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="evaluate", description=__doc__)
    parser.add_argument("--model", type=Path, required=True, help="the challenger's MLflow model folder")
    parser.add_argument("--holdout", type=Path, required=True, help="folder with the holdout split")
    parser.add_argument("--schema", type=Path, required=True, help="data schema YAML")
    parser.add_argument("--model-name", required=True, help="registered model name")
    parser.add_argument(
        "--champion-alias", required=True, help="stage of the production model (tag `stage=<it>`)"
    )
    parser.add_argument("--primary-metric", choices=sorted(metrics.HIGHER_IS_BETTER), required=True)
    parser.add_argument("--promotion-margin", type=float, required=True)
    parser.add_argument("--evaluation", type=Path, required=True, help="output folder for evaluation.json")
    args = parser.parse_args(argv)

    try:
        found = find_champion(MlflowClient(), args.model_name, args.champion_alias)
    except ChampionLookupError as exc:
        print(f"evaluate: champion lookup failed, nothing is registered: {exc}", file=sys.stderr)
        return 2
    version = found.version
    print(f"evaluate: champion: {found.reason}")
    schema = load_data_schema(args.schema)
    problems = model_problems(args.model, schema)
    if problems:
        # A team's own training step (model.training_component) wrote a model the platform cannot serve.
        shown = "\n  ".join(problems)
        print(
            f"evaluate: the trained model breaks the model contract (docs/own-data.md):\n  {shown}",
            file=sys.stderr,
        )
        return 2
    holdout = read_frame(args.holdout, HOLDOUT_FILE)
    truth = model.labels(holdout, schema)
    challenger = metrics.compute(truth, model.score(model.load(args.model), holdout, schema))
    champion = None
    if version is not None:
        champion_model = model.load(f"models:/{args.model_name}/{version}")
        champion = metrics.compute(truth, model.score(champion_model, holdout, schema))
    decision = gate.decide(challenger, champion, args.primary_metric, args.promotion_margin, version)
    with mlflow.start_run():
        mlflow.log_metrics({f"holdout_{k}": v for k, v in challenger.items()})
        if champion is not None:
            mlflow.log_metrics({f"champion_holdout_{k}": v for k, v in champion.items()})
        mlflow.set_tags({"gate.register": str(decision.register).lower(), "gate.reason": decision.reason})
    write_json(args.evaluation, EVALUATION_FILE, decision.to_json())
    print(f"evaluate: {'register' if decision.register else 'keep the champion'}: {decision.reason}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
