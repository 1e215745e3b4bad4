"""The inference_schema parameter types that make azmlinfsrv publish the Stream Analytics swagger.

Input: `{"Inputs": {"data": [record, ...]}}` (inputRequestName `Inputs`, input name `data`), each record
typed per feature. Output: `{"Results": [{"score", "error", "model_version"}, ...]}` (outputResponseName
`Results`). Samples only shape the swagger: score.py turns conversion off and validates itself.
"""

from __future__ import annotations

import pandas as pd
from inference_schema.parameter_types.pandas_parameter_type import PandasParameterType
from inference_schema.parameter_types.standard_py_parameter_type import StandardPythonParameterType

from ml.scoring.feature_schema import ScoringSchema
from ml.scoring.scorer import INPUT_NAME

INPUT_REQUEST_NAME = "Inputs"
OUTPUT_RESPONSE_NAME = "Results"


def input_type(schema: ScoringSchema) -> StandardPythonParameterType:
    frame = pd.DataFrame([schema.sample_row()])
    return StandardPythonParameterType({INPUT_NAME: PandasParameterType(frame, orient="records")})


def sample_error(schema: ScoringSchema) -> str:
    """The swagger's example error: a row without the schema's first feature, as score.py words it."""
    return f"{schema.features[0].name}: missing"


def output_type(schema: ScoringSchema) -> StandardPythonParameterType:
    sample = {"score": 0.5, "error": sample_error(schema), "model_version": "1"}
    return StandardPythonParameterType({OUTPUT_RESPONSE_NAME: [sample]})
