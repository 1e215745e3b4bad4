"""Entry script of the online endpoint: azmlinfsrv (locally) and Azure ML managed online deployments.

`init()` loads the MLflow model under `AZUREML_MODEL_DIR` and the data schema saved inside it;
`run(request)` scores a Stream Analytics batch. A bad row gets `score: null` and an error while the rest
is scored (200): Stream Analytics stops the job on a 400, so a 4xx is only for a request that is not a
batch, and it names the problem (`ml.scoring.request_body`). run() takes the raw request (`@rawhttp`)
so that no body, not even one that is not UTF-8, reaches the server's own parsing (which answers 500);
the swagger a decorated run() would publish is written for the server by `ml.scoring.published_swagger`.
Every row goes to the inference log through `monitoring.telemetry` (off, and saying so, when no
Application Insights connection string is configured); rows of a probe batch (smoke tests, marked with
`"Probe"` in the body, `ml.scoring.probe`) carry a `probe` field that the export and drift leave out.

The deployed code folder holds `ml/` (this package) and `monitoring/telemetry/`, assembled by
`ml.scoring.packaging.stage_code`; the server puts the folder on `sys.path`.
"""

from __future__ import annotations

import logging
import os
import time
import uuid
from typing import Any

from azureml_inference_server_http.api.aml_request import AMLRequest, rawhttp
from azureml_inference_server_http.api.aml_response import AMLResponse
from azureml_inference_server_http.server.config import config as server_config

from ml.scoring.errors import BadRequestError
from ml.scoring.feature_schema import load_scoring_schema
from ml.scoring.inference_log import inference_records
from ml.scoring.model_folder import find_model_dir, load_model
from ml.scoring.published_swagger import publish_swagger
from ml.scoring.request_body import check_request, parse_batch, read_body
from ml.scoring.scorer import Scorer
from ml.scoring.settings import ROLE_NAME, ScoringSettings
from monitoring.telemetry import TelemetryError, configure_telemetry

logger = logging.getLogger("azmlinfsrv.score")

# The server reads the swagger once this script is imported, so the schema is read here, not in init().
_MODEL_DIR = find_model_dir(os.environ.get("AZUREML_MODEL_DIR"))
_SCHEMA = load_scoring_schema(_MODEL_DIR)
publish_swagger(_SCHEMA, server_config.app_root)

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


@rawhttp
def run(request: AMLRequest) -> Any:
    """Score one batch; the body is `{"Inputs": {"data": [...]}}`, the answer `{"Results": [...]}`."""
    started = time.perf_counter()
    if _scorer is None or _settings is None:
        raise RuntimeError("run() called before init()")
    try:
        check_request(request.method, request.is_json, request.content_type)
        batch = parse_batch(read_body(request.stream, request.content_length))
    except BadRequestError as exc:
        return AMLResponse({"message": str(exc)}, exc.status, json_str=True)
    rows = batch.rows
    scored = _scorer.score(rows)
    body = _scorer.results(scored)
    if _telemetry is not None and _telemetry.enabled:
        request_id = str(uuid.uuid4())
        latency_ms = (time.perf_counter() - started) * 1000.0
        records = inference_records(
            rows, scored, _SCHEMA, _settings, request_id, latency_ms, probe=batch.probe
        )
        try:
            _telemetry.log_inferences(records)
        except TelemetryError:
            # The batch is scored; losing its log must not fail Stream Analytics, but it must be seen.
            logger.exception("inference log of request %s not sent (%d rows)", request_id, len(records))
    return body
