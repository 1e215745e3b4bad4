"""A user's own file: accepted when it matches the schema, refused with file, column, row and reason."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from environments.data_schema import DataSchema
from ml.data import loader
from ml.data.errors import DataFileError, DataValidationError
from ml.data.generator import generate


@pytest.fixture
def sample(card_schema: DataSchema) -> pd.DataFrame:
    return generate(card_schema, 300, seed=4)


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".jsonl"])
def test_round_trip_keeps_values_and_types(
    tmp_path: Path, card_schema: DataSchema, sample: pd.DataFrame, suffix: str
) -> None:
    path = tmp_path / f"data{suffix}"
    if suffix == ".csv":
        sample.to_csv(path, index=False)
    elif suffix == ".parquet":
        sample.to_parquet(path, index=False)
    else:
        sample.to_json(path, orient="records", lines=True, date_format="iso")
    loaded = loader.load(path, card_schema)
    pd.testing.assert_frame_equal(loaded, sample)


def test_missing_feature_values_are_accepted(tmp_path: Path, card_schema: DataSchema) -> None:
    frame = generate(card_schema, 200, seed=4, scenario="missing_values_surge")
    frame.to_csv(tmp_path / "gaps.csv", index=False)
    loaded = loader.load(tmp_path / "gaps.csv", card_schema)
    assert loaded["customer_age"].isna().sum() == frame["customer_age"].isna().sum() > 0


def test_every_problem_is_named_with_column_row_and_line(
    tmp_path: Path, card_schema: DataSchema, sample: pd.DataFrame
) -> None:
    broken = sample.astype(object)
    broken.loc[3, "amount"] = "twelve"
    broken.loc[4, "hour_of_day"] = 30
    broken.loc[5, "merchant_category"] = "casino"
    broken.loc[6, "is_fraud"] = None
    broken.loc[7, "card_present"] = "maybe"
    broken.loc[8, "customer_age"] = 40.5
    broken.loc[9, "transaction_id"] = broken.loc[10, "transaction_id"]
    broken.loc[11, "event_time"] = "yesterday"
    path = tmp_path / "broken.csv"
    broken.to_csv(path, index=False)
    with pytest.raises(DataValidationError) as caught:
        loader.load(path, card_schema)
    problems = "\n".join(caught.value.problems)
    assert len(caught.value.problems) == 8
    assert f"{path}: column amount: row 4 (line 5): not a number (float) (value 'twelve')" in problems
    assert "column hour_of_day: row 5 (line 6): outside [0, 23]" in problems
    assert "column merchant_category: row 6 (line 7): not one of the schema's categories" in problems
    assert "column is_fraud: row 7 (line 8): missing value" in problems
    assert "column card_present: row 8 (line 9): not a boolean" in problems
    assert "column customer_age: row 9 (line 10): not a whole number" in problems
    assert "column transaction_id: row 11 (line 12): duplicate id" in problems
    assert "column event_time: row 12 (line 13): not a timestamp" in problems


def test_many_bad_rows_are_summarised(tmp_path: Path, card_schema: DataSchema, sample: pd.DataFrame) -> None:
    broken = sample.copy()
    broken["amount"] = -1.0
    path = tmp_path / "negative.parquet"
    broken.to_parquet(path)
    with pytest.raises(DataValidationError) as caught:
        loader.load(path, card_schema)
    assert len(caught.value.problems) == loader.MAX_ROWS_PER_PROBLEM + 1
    assert caught.value.problems[0].startswith(f"{path}: column amount: row 1: outside [0, 50000]")
    assert caught.value.problems[-1] == f"{path}: column amount: 295 more row(s): outside [0, 50000]"


def test_missing_columns_are_listed(tmp_path: Path, card_schema: DataSchema, sample: pd.DataFrame) -> None:
    path = tmp_path / "narrow.csv"
    sample.drop(columns=["amount", "is_fraud"]).to_csv(path, index=False)
    with pytest.raises(DataValidationError, match="missing column\\(s\\): amount, is_fraud"):
        loader.load(path, card_schema)


def test_unreadable_files_are_refused(tmp_path: Path, card_schema: DataSchema) -> None:
    with pytest.raises(DataFileError, match="no such file"):
        loader.load(tmp_path / "absent.csv", card_schema)
    (tmp_path / "data.xlsx").write_bytes(b"x")
    with pytest.raises(DataFileError, match=r"unsupported file type '\.xlsx'"):
        loader.load(tmp_path / "data.xlsx", card_schema)
    (tmp_path / "bad.parquet").write_bytes(b"not parquet")
    with pytest.raises(DataFileError, match="cannot read as parquet"):
        loader.load(tmp_path / "bad.parquet", card_schema)
