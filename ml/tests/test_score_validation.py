"""score.py's logic in process: vectorised validation, results in order, inference records, swagger types."""

from __future__ import annotations

import numpy as np
import pytest

from ml.scoring.errors import NotABatchError
from ml.scoring.feature_schema import load_scoring_schema
from ml.scoring.inference_log import inference_records
from ml.scoring.model_folder import find_model_dir, load_model
from ml.scoring.scorer import Scorer, batch_rows
from ml.scoring.settings import ScoringSettings
from ml.scoring.swagger_samples import input_type, output_type
from ml.scoring.validation import validate_rows
from ml.serving.batches import stream_batch
from ml.testing import bad_rows


@pytest.fixture(scope="module")
def schema(scoring_model_dir):
    return load_scoring_schema(scoring_model_dir)


@pytest.fixture(scope="module")
def scorer(scoring_model_dir, schema) -> Scorer:
    return Scorer(load_model(scoring_model_dir), schema, "4")


@pytest.fixture(scope="module")
def rows(local_environment):
    return stream_batch(local_environment.data_schema(), 50, seed=9)


def test_clean_batch_is_all_valid_with_model_dtypes(rows, schema):
    batch = validate_rows(rows, schema)
    assert batch.all_valid and batch.errors == [None] * len(rows)
    assert list(batch.features.columns) == schema.feature_names
    for feature in schema.features:
        expected = object if feature.type == "category" else np.float64
        assert batch.features[feature.name].dtype == expected


def test_scores_match_the_model_on_the_same_rows(rows, scorer, scoring_model_dir, local_environment):
    import pandas as pd

    from ml.training.model import load, score

    expected = score(load(scoring_model_dir), pd.DataFrame(rows), local_environment.data_schema())
    np.testing.assert_allclose(scorer.score(rows).scores, expected)


@pytest.mark.parametrize(
    "kind", ["missing", "wrong_type", "nan", "unknown_category", "out_of_range", "bad_boolean"]
)
def test_each_bad_row_kind_is_flagged_and_named(kind, rows, scorer, local_environment):
    broken, field = bad_rows(local_environment.data_schema(), rows[0])[kind]
    scored = scorer.score([rows[1], broken, rows[2]])
    body = scorer.results(scored)["Results"]
    assert [r["score"] is None for r in body] == [False, True, False]
    assert body[1]["error"].startswith(f"{field}: ")
    assert body[0]["error"] is None and body[2]["error"] is None
    assert body[0]["score"] == pytest.approx(scorer.score([rows[1]]).scores[0])


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (None, "null"),
        (True, "expected a number, got a boolean"),
        (2.5, "not a whole number"),
        (10**400, "out of range"),
    ],
)
def test_integer_feature_reasons(value, reason, rows, schema):
    row = {**rows[0], "hour_of_day": value}
    error = validate_rows([row], schema).errors[0]
    assert error is not None and error.startswith("hour_of_day: ") and reason in error


def test_whole_floats_and_bit_booleans_are_accepted(rows, schema):
    row = {**rows[0], "hour_of_day": 7.0, "card_present": 1, "is_foreign": 0}
    assert validate_rows([row], schema).errors == [None]


def test_several_bad_fields_are_all_named_and_non_objects_flagged(rows, schema):
    row = {**rows[0], "amount": "x", "channel": 3}
    batch = validate_rows([row, "not a row", rows[1]], schema)
    assert (
        batch.errors[0]
        == "amount: expected a number, got a string; channel: expected a string, got the number 3"
    )
    assert batch.errors[1].startswith("row 1: expected an object")
    assert batch.valid.tolist() == [False, False, True] and len(batch.features) == 1


def test_empty_batch_gives_empty_results(scorer):
    assert scorer.results(scorer.score([])) == {"Results": []}


@pytest.mark.parametrize("inputs", [None, 3, [], {"rows": []}, {"data": {"a": 1}}])
def test_inputs_without_a_data_list_are_not_a_batch(inputs):
    with pytest.raises(NotABatchError):
        batch_rows(inputs)


def test_inference_records_one_per_row_keyed_by_transaction_id(rows, scorer, schema):
    mixed = [rows[0], {**rows[1], "amount": None}]
    scored = scorer.score(mixed)
    records = inference_records(
        mixed, scored, schema, ScoringSettings("card-fraud", "4", "blue"), "req-1", 3.5
    )
    assert [r["request_id"] for r in records] == [rows[0]["transaction_id"], rows[1]["transaction_id"]]
    assert records[0]["score"] == pytest.approx(scored.scores[0]) and records[0]["error"] is None
    assert records[1]["score"] is None and records[1]["error"] == "amount: null"
    assert set(records[0]["features"]) == set(schema.feature_names)
    assert {r["deployment"] for r in records} == {"blue"} and records[0]["latency_ms"] == 3.5


def test_probe_rows_carry_the_kind_and_real_rows_no_probe_field(rows, scorer, schema):
    scored = scorer.score(rows[:2])
    settings = ScoringSettings("card-fraud", "4", "blue")
    probe = inference_records(rows[:2], scored, schema, settings, "req-1", 1.0, probe="smoke")
    real = inference_records(rows[:2], scored, schema, settings, "req-2", 1.0)
    assert [r["probe"] for r in probe] == ["smoke", "smoke"]
    assert all("probe" not in r for r in real)


def test_swagger_types_follow_the_schema(schema):
    data = input_type(schema).input_to_swagger()["properties"]["data"]
    properties = data["items"]["properties"]
    assert properties["amount"]["type"] == "number" and properties["channel"]["type"] == "string"
    assert properties["card_present"]["type"] == "boolean" and properties["hour_of_day"]["type"] == "integer"
    reply = output_type(schema).input_to_swagger()
    assert "Results" in reply["properties"]
    assert reply["example"]["Results"][0]["error"] == f"{schema.features[0].name}: missing"


def test_model_folder_is_found_below_the_mount(scoring_model_dir, tmp_path):
    assert find_model_dir(scoring_model_dir) == scoring_model_dir
    assert find_model_dir(scoring_model_dir.parent) == scoring_model_dir
