"""`register` component: register the challenger in the MLflow model registry if the gate said so.

A registered version carries the training data's fingerprint and its holdout metrics as tags, and the
tag `stage=production` (with the alias `production` where the registry has aliases) moves to it
(`ml.registry.champion.set_champion`). A rejected challenger leaves the registry untouched.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import mlflow
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

from ml.components.step_files import DATA_INFO_FILE, EVALUATION_FILE, REGISTRATION_FILE, read_json, write_json
from ml.registry.champion import set_champion

MODEL_ARTIFACT = "model"


def _ensure_registered_model(client: MlflowClient, name: str) -> None:
    try:
        client.get_registered_model(name)
    except MlflowException as exc:
        if exc.error_code != "RESOURCE_DOES_NOT_EXIST":
            raise
        client.create_registered_model(name, description="Card fraud probability per transaction.")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="register", description=__doc__)
    parser.add_argument("--model", type=Path, required=True, help="the challenger's MLflow model folder")
    parser.add_argument("--evaluation", type=Path, required=True, help="folder with evaluation.json")
    parser.add_argument(
        "--train", type=Path, required=True, help="folder with the training split's data.json"
    )
    parser.add_argument("--model-name", required=True)
    parser.add_argument(
        "--alias", required=True, help="stage (tag `stage=<it>`, and alias) of a newly registered version"
    )
    parser.add_argument(
        "--registration", type=Path, required=True, help="output folder for registration.json"
    )
    args = parser.parse_args(argv)

    decision = read_json(args.evaluation, EVALUATION_FILE)
    fingerprint = read_json(args.train, DATA_INFO_FILE)["data_fingerprint"]
    record = {"registered": False, "model_name": args.model_name, "reason": decision["reason"]}
    record |= {"data_fingerprint": fingerprint, "metrics": decision["challenger"]}
    if decision["register"]:
        client = MlflowClient()
        with mlflow.start_run() as run:
            mlflow.log_artifacts(str(args.model), MODEL_ARTIFACT)
            source = f"{run.info.artifact_uri}/{MODEL_ARTIFACT}"
            _ensure_registered_model(client, args.model_name)
            tags = {
                "data_fingerprint": fingerprint,
                **{f"holdout_{k}": f"{v:.6f}" for k, v in decision["challenger"].items()},
            }
            version = client.create_model_version(args.model_name, source, run_id=run.info.run_id, tags=tags)
            set_champion(client, args.model_name, str(version.version), args.alias)
        record |= {
            "registered": True,
            "version": str(version.version),
            "alias": args.alias,
            "model_uri": source,
        }
        print(f"register: {args.model_name} version {version.version} is now '{args.alias}'")
    else:
        record |= {"version": decision["champion_version"], "alias": args.alias}
        print(
            f"register: not registered; {args.model_name} version {decision['champion_version']} stays '{args.alias}'"
        )
    write_json(args.registration, REGISTRATION_FILE, record)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
