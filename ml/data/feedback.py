"""Labelled feedback: the rows a retrain adds to the training data (a contract, docs/contracts.md).

A feedback file is a CSV, Parquet or JSON-lines file with the columns `FEEDBACK_KEY_COLUMNS` (the
inference log's `request_id` and `time`, so an exported row with its confirmed label is feedback as it
is), the data schema's features and its label. It lands in the environment's feedback container
(`storage.feedback_container`: Azurite locally, the environment's storage account on Azure;
`ml/data/feedback_store.py` reads it) or is given as a file (`python -m ml data <env> --feedback FILE`).

Pure logic here: checking a file's rows against the contract, and merging them into the previous data
version (decision 0018). A row whose `request_id` is already in the data replaces it (its label is the
confirmed one); a file with a bad row is refused whole, naming the file, row and column, and nothing is
registered until every file is clean.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from environments.data_schema import DataSchema
from ml.data import loader
from ml.data.errors import DataValidationError

REQUEST_ID_COLUMN = "request_id"
TIME_COLUMN = "time"
FEEDBACK_KEY_COLUMNS = (REQUEST_ID_COLUMN, TIME_COLUMN)
"""The inference log's names (`environments.inference_log.INFERENCE_COLUMNS`) for the row's id and time."""

FEEDBACK_SUFFIXES = (".csv", ".parquet", ".jsonl")


def feedback_columns(schema: DataSchema) -> list[str]:
    """The columns a feedback file must have, in this order (extra columns are ignored)."""
    return [*FEEDBACK_KEY_COLUMNS, *schema.feature_names, schema.label]


def training_rows(frame: pd.DataFrame, schema: DataSchema, name: Path) -> pd.DataFrame:
    """A feedback file's rows in the training data's layout (id and time columns of the schema), typed;
    raises DataValidationError with every problem, each naming `name`, the row and the contract's column."""
    absent = [column for column in feedback_columns(schema) if column not in frame.columns]
    if absent:
        raise DataValidationError(name, [f"{name}: missing feedback column(s): {', '.join(absent)}"])
    renames = {REQUEST_ID_COLUMN: schema.id_column, TIME_COLUMN: schema.time_column}
    kept = frame[feedback_columns(schema)].rename(columns=renames)
    try:
        return loader.validate(kept, schema, name)
    except DataValidationError as exc:
        back = {f"column {new}:": f"column {old}:" for old, new in renames.items()}
        problems = [_renamed(problem, back) for problem in exc.problems]
        raise DataValidationError(name, problems) from None


def _renamed(problem: str, names: dict[str, str]) -> str:
    for training_name, contract_name in names.items():
        problem = problem.replace(training_name, contract_name)
    return problem


@dataclass(frozen=True)
class Merged:
    """The next data version's rows and what the feedback brought to them."""

    frame: pd.DataFrame
    feedback_rows: int
    """Rows read from the feedback (after a later file's row replaced an earlier one's with its id)."""
    new_rows: int
    """Feedback rows not already in the previous version as they are: new ids or changed values."""


def merge(previous: pd.DataFrame, feedback: Sequence[pd.DataFrame], schema: DataSchema) -> Merged:
    """The previous version's rows with the feedback rows (in `training_rows` layout, oldest file first);
    the previous frame unchanged when every feedback row is already in it as it is."""
    columns = list(previous.columns)
    if not feedback:
        return Merged(previous, 0, 0)
    rows = pd.concat([part[columns] for part in feedback], ignore_index=True)
    rows = rows.drop_duplicates(subset=[schema.id_column], keep="last").reset_index(drop=True)
    known = rows.merge(previous.astype(rows.dtypes.to_dict()), on=columns, how="inner")
    new_rows = len(rows) - len(known)
    if new_rows == 0:
        return Merged(previous, len(rows), 0)
    combined = pd.concat([previous, rows], ignore_index=True)
    combined = combined.drop_duplicates(subset=[schema.id_column], keep="last").reset_index(drop=True)
    return Merged(combined, len(rows), new_rows)
