"""Probe traffic (smoke tests, health checks, rollout probes): how a request says so (pure logic).

A probe batch carries a top-level `"Probe": "<kind>"` next to `"Inputs"`; score.py scores it like any
batch and records the kind as the `probe` field of each inference record, which the export
(`export/queries/inference_records.kql`, `export/rows.py`) and so drift leave out. The marker is in the
body, not a header, because the Azure ML SDK's `online_endpoints.invoke` (the Azure rollout's smoke
test) sends only a request file; a body key reaches score.py the same way locally and on Azure.
Stream Analytics never sends it, and the published swagger does not mention it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ml.scoring.errors import NotABatchError

PROBE_KEY = "Probe"
"""Top-level key of a request body that marks the batch as probe traffic."""

SMOKE_PROBE = "smoke"
"""Kind of the smoke test of a new or restarted deployment (ml.serving.smoke)."""

_KIND = re.compile(r"[a-z][a-z0-9_-]{0,31}")


def probe_kind(document: Mapping[str, Any]) -> str | None:
    """The probe kind of a request body, None for real traffic; NotABatchError for a malformed marker."""
    if PROBE_KEY not in document:
        return None
    kind = document[PROBE_KEY]
    if not isinstance(kind, str) or not _KIND.fullmatch(kind):
        raise NotABatchError(
            f'"{PROBE_KEY}" must be a probe kind like "{SMOKE_PROBE}" (lower-case letters, digits, - or _, '
            f"at most 32), got {str(kind)[:40]!r}"
        )
    return kind


def mark_probe(body: Mapping[str, Any], kind: str) -> dict[str, Any]:
    """A copy of a request body marked as probe traffic of `kind`."""
    if not _KIND.fullmatch(kind):
        raise ValueError(f"probe kind {kind!r} is not lower-case letters, digits, - or _ (at most 32)")
    return {**body, PROBE_KEY: kind}
