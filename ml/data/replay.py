"""The part of a user's data file that training never sees, and traffic replayed from it.

The split is by row id: a row is held out when the first 8 bytes of sha256("<seed>:<id>"), read as a
fraction of 2**64, fall below `data.replay_fraction`. It depends on nothing but the id and `data.seed`,
so the same rows are held out on every run, whatever the order of the file, and a row added to the file
later does not move any other row between the parts.

Replayed traffic takes the held-out rows in a seeded order, as many times over as `rows` needs, with a
fresh id per sent row (`<tag>-<n>-<original id>`: a row sent twice, or in both phases, is two events)
and new event times from `start`, one every `MEAN_SECONDS_BETWEEN_EVENTS` on average (the generator's pace).
"""

from __future__ import annotations

import hashlib
from datetime import datetime

import numpy as np
import pandas as pd

from environments.data_schema import DataSchema
from ml.data.generator import DEFAULT_START, MEAN_SECONDS_BETWEEN_EVENTS


def held_out_mask(ids: pd.Series, fraction: float, seed: int) -> np.ndarray:
    """True for the rows held out of training (see the module docstring)."""

    def position(row_id: object) -> float:
        digest = hashlib.sha256(f"{seed}:{row_id}".encode()).digest()
        return int.from_bytes(digest[:8], "big") / 2**64

    return np.array([position(row_id) < fraction for row_id in ids], dtype=bool)


def split(
    frame: pd.DataFrame, schema: DataSchema, fraction: float, seed: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(rows for training, rows held out for replay); refuses a split that leaves either part empty."""
    mask = held_out_mask(frame[schema.id_column], fraction, seed)
    training, held_out = frame[~mask].reset_index(drop=True), frame[mask].reset_index(drop=True)
    if training.empty or held_out.empty:
        raise ValueError(
            f"data.replay_fraction {fraction} leaves {len(training)} rows for training and {len(held_out)} "
            f"to replay out of {len(frame)}: the file needs more rows"
        )
    return training, held_out


def replay(
    held_out: pd.DataFrame,
    schema: DataSchema,
    rows: int,
    seed: int,
    tag: str,
    start: datetime | None = None,
) -> pd.DataFrame:
    """`rows` events drawn from the held-out rows (see the module docstring), labels kept."""
    if rows < 1:
        raise ValueError(f"rows must be positive, got {rows}")
    if held_out.empty:
        raise ValueError("no held-out rows to replay")
    rng = np.random.default_rng(seed)
    rounds = -(-rows // len(held_out))
    order = np.concatenate([rng.permutation(len(held_out)) for _ in range(rounds)])[:rows]
    out = held_out.iloc[order].reset_index(drop=True)
    out[schema.id_column] = [f"{tag}-{n:06d}-{original}" for n, original in enumerate(out[schema.id_column])]
    offsets = np.cumsum(rng.exponential(MEAN_SECONDS_BETWEEN_EVENTS, rows))
    times = pd.Timestamp(start or DEFAULT_START) + pd.to_timedelta(offsets, unit="s")
    out[schema.time_column] = pd.Series(times).dt.floor("ms")
    return out
