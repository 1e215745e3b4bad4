"""What a trained model folder must hold for the gate, the registry, serving and drift to use it.

The platform's train step writes it with `ml.training.model.save`; a team's own training component
(`model.training_component`, docs/own-data.md) must write the same, and calling `save` is the easy way:

- an MLflow model in the `sklearn` flavour whose estimator has `predict_proba` (serving and the gate load
  that flavour and call `predict_proba` on a frame of the schema's features: `ml.training.model.feature_frame`),
  with the schema's signature: one input column per feature, by name, `string` for categories and
  `double` for everything else;
- `data_schema.json`: the data schema, read by the scoring script to check rows;
- `baseline.parquet`: the training rows' features plus the model's `score`, the drift reference.

`model_problems` lists what is missing or different, one line each, naming the file and the column.
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq

from environments.data_schema import DataSchema
from ml.training.model import BASELINE_FILE, SCHEMA_FILE, SCORE_COLUMN, signature_types

MLMODEL_FILE = "MLmodel"


def model_problems(path: Path, schema: DataSchema) -> list[str]:
    """Every way the model folder at `path` breaks the contract above; [] when it meets it."""
    mlmodel = path / MLMODEL_FILE
    if not mlmodel.is_file():
        return [f"{mlmodel}: missing: not an MLflow model folder"]
    from mlflow.models import Model

    problems = []
    meta = Model.load(str(mlmodel))
    if "sklearn" not in meta.flavors:
        problems.append(f"{mlmodel}: flavors {sorted(meta.flavors)}: the sklearn flavour is required")
    signature = meta.signature
    if signature is None or signature.inputs is None:
        problems.append(f"{mlmodel}: no signature: save it with the schema's ({schema.name})")
    else:
        given = {spec.name: getattr(spec.type, "name", str(spec.type)) for spec in signature.inputs.inputs}
        for name, kind in signature_types(schema).items():
            if name not in given:
                problems.append(f"{mlmodel}: signature: input {name} missing (schema {schema.name})")
            elif given[name] != kind:
                problems.append(
                    f"{mlmodel}: signature: input {name} is {given[name]}, the schema needs {kind}"
                )
        extra = sorted(set(given) - set(schema.feature_names))
        if extra:
            problems.append(f"{mlmodel}: signature: inputs not in schema {schema.name}: {', '.join(extra)}")
    schema_file = path / SCHEMA_FILE
    try:
        saved = json.loads(schema_file.read_text(encoding="utf-8"))
        if [f.get("name") for f in saved.get("features", [])] != schema.feature_names:
            problems.append(f"{schema_file}: features differ from schema {schema.name}")
    except (OSError, ValueError, AttributeError) as exc:
        problems.append(f"{schema_file}: cannot read the data schema: {exc}")
    baseline = path / BASELINE_FILE
    try:
        columns = set(pq.read_schema(baseline).names)
        missing = [c for c in [*schema.feature_names, SCORE_COLUMN] if c not in columns]
        if missing:
            problems.append(f"{baseline}: columns missing: {', '.join(missing)}")
    except (OSError, ValueError) as exc:
        problems.append(f"{baseline}: cannot read the drift baseline: {exc}")
    return problems
