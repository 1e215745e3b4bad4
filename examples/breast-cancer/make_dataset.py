"""Write the breast-cancer example's data file from scikit-learn's bundled copy (works offline).

    python examples/breast-cancer/make_dataset.py                     -> examples/breast-cancer/data/breast-cancer.csv
    python examples/breast-cancer/make_dataset.py --out x.parquet     -> Parquet instead (any path)

569 rows: an id (`sample_id`), an event time (`observed_at`, one every 10 minutes from 2026-01-05), the
30 numeric features of `sklearn.datasets.load_breast_cancer` (names snake_cased: "mean radius" ->
`mean_radius`), two string categories derived deterministically (`size_class` from the mean area,
`site` from the row number) and the label `malignant` (true for scikit-learn's target 0). The same
file every time: the environment's training/held-out split and the test's expectations rely on it.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.datasets import load_breast_cancer

HERE = Path(__file__).resolve().parent
DEFAULT_OUT = HERE / "data" / "breast-cancer.csv"
START = pd.Timestamp("2026-01-05T00:00:00Z")
SIZE_CLASSES = ("small", "medium", "large", "xlarge")
SIZE_EDGES = (400.0, 700.0, 1000.0)  # mean area upper bounds of small, medium, large
SITES = ("north", "south", "east", "west")


def column_name(sklearn_name: str) -> str:
    return sklearn_name.replace(" ", "_")


def dataset() -> pd.DataFrame:
    """The example's rows, in the schema's column order."""
    bunch = load_breast_cancer(as_frame=True)
    features = bunch.data.rename(columns=column_name)
    rows = len(features)
    frame = pd.DataFrame(
        {
            "sample_id": [f"bc-{i:04d}" for i in range(rows)],
            "observed_at": (START + pd.to_timedelta(np.arange(rows) * 10, unit="min")).strftime(
                "%Y-%m-%dT%H:%M:%SZ"
            ),
        }
    )
    frame = pd.concat([frame, features], axis=1)
    frame["size_class"] = np.array(SIZE_CLASSES)[np.searchsorted(SIZE_EDGES, features["mean_area"])]
    frame["site"] = [SITES[i % len(SITES)] for i in range(rows)]
    frame["malignant"] = (bunch.target == 0).to_numpy()
    return frame


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="a .csv or .parquet file")
    args = parser.parse_args(argv)
    frame = dataset()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    if args.out.suffix.lower() == ".parquet":
        frame.to_parquet(args.out, index=False)
    elif args.out.suffix.lower() == ".csv":
        frame.to_csv(args.out, index=False)
    else:
        parser.error(f"--out {args.out}: use a .csv or .parquet file")
    print(f"{args.out}: {len(frame)} rows, {int(frame['malignant'].sum())} malignant")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
