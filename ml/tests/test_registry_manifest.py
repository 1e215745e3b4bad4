"""The model manifest: complete records only, written whole, with a clear message when absent."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ml.registry.manifest import (
    MANIFEST_KEYS,
    manifest_path,
    metrics_from_tags,
    read_manifest,
    write_manifest,
)


def test_round_trip_and_location(tmp_path: Path) -> None:
    record = {key: f"value-{key}" for key in MANIFEST_KEYS}
    path = write_manifest(tmp_path, record)
    assert path == tmp_path / "ml" / "model-manifest.json" == manifest_path(tmp_path)
    assert read_manifest(tmp_path) == record
    assert json.loads(path.read_text()) == record
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary left behind


def test_incomplete_record_is_refused(tmp_path: Path) -> None:
    record = {key: "x" for key in MANIFEST_KEYS if key not in ("version", "data_fingerprint")}
    with pytest.raises(ValueError, match="lacks version, data_fingerprint"):
        write_manifest(tmp_path, record)
    assert not manifest_path(tmp_path).exists()


def test_missing_manifest_says_what_to_run(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="python -m ml pipeline"):
        read_manifest(tmp_path)


def test_metrics_come_from_holdout_tags() -> None:
    tags = {"holdout_roc_auc": "0.91", "holdout_log_loss": "0.2", "data_fingerprint": "sha256:ab"}
    assert metrics_from_tags(tags) == {"roc_auc": 0.91, "log_loss": 0.2}
