"""Entry script of the online endpoint: azmlinfsrv (locally) and Azure ML managed online deployments.

`init()` loads the MLflow model under `AZUREML_MODEL_DIR` and the data schema saved inside it;
`run(Inputs)` scores a Stream Analytics batch. A bad row gets `score: null` and an error while the rest
is scored (200): Stream Analytics stops the job on a 400, so 400 is only for a body that is not a batch.
Every row goes to the inference log through `monitoring.telemetry` (off, and saying so, when no
Application Insights connection string is configured).

The deployed code folder holds `ml/` (this package) and `monitoring/telemetry/`, assembled by
`ml.scoring.packaging.stage_code`; the server puts the folder on `sys.path`.
"""

from __future__ import annotations

import logging
import os
import time
import uuid
from typing import Any

from azureml_inference_server_http.api.aml_response import AMLResponse
from inference_schema.schema_decorators import input_schema, output_schema

from ml.scoring.errors import NotABatchError
from ml.scoring.feature_schema import load_scoring_schema
from ml.scoring.inference_log import inference_records
from ml.scoring.model_folder import find_model_dir, load_model
from ml.scoring.scorer import Scorer, batch_rows
from ml.scoring.settings import ROLE_NAME, ScoringSettings
from ml.scoring.swagger_samples import INPUT_REQUEST_NAME, input_type, output_type
from monitoring.telemetry import TelemetryError, configure_telemetry

logger = logging.getLogger("azmlinfsrv.score")

# The swagger is built when the server imports this script, so the schema is read here, not in init().
_MODEL_DIR = find_model_dir(os.environ.get("AZUREML_MODEL_DIR"))
_SCHEMA = load_scoring_schema(_MODEL_DIR)

_scorer: Scorer | None = None
_settings: ScoringSettings | None = None
_telemetry: Any = None


def init() -> None:
    """Load the model once per worker and start telemetry."""
    global _scorer, _settings, _telemetry
    _settings = ScoringSettings.from_environ()
    _scorer = Scorer(load_model(_MODEL_DIR), _SCHEMA, _settings.model_version)
    _telemetry = configure_telemetry(ROLE_NAME)
    logger.info(
        "scoring %s version %s as deployment %s (%d features)",
        _settings.model_name,
        _settings.model_version,
        _settings.deployment,
        len(_SCHEMA.features),
    )


@input_schema(INPUT_REQUEST_NAME, input_type(_SCHEMA), convert_to_provided_type=False)
@output_schema(output_type())
def run(Inputs: Any) -> Any:  # noqa: N803 - the swagger name
    # No `request_headers` parameter: inference_schema would publish it in the swagger as a second
    # input, and Stream Analytics builds its function from that swagger (one request key only).
    """Score one batch; the body is `{"Inputs": {"data": [...]}}`, the answer `{"Results": [...]}`."""
    started = time.perf_counter()
    if _scorer is None or _settings is None:
        raise RuntimeError("run() called before init()")
    try:
        rows = batch_rows(Inputs)
    except NotABatchError as exc:
        return AMLResponse({"message": str(exc)}, 400, json_str=True)
    scored = _scorer.score(rows)
    body = _scorer.results(scored)
    if _telemetry is not None and _telemetry.enabled:
        request_id = str(uuid.uuid4())
        latency_ms = (time.perf_counter() - started) * 1000.0
        records = inference_records(rows, scored, _SCHEMA, _settings, request_id, latency_ms)
        try:
            _telemetry.log_inferences(records)
        except TelemetryError:
            # The batch is scored; losing its log must not fail Stream Analytics, but it must be seen.
            logger.exception("inference log of request %s not sent (%d rows)", request_id, len(records))
    return body
