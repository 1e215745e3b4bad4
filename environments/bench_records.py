"""Benchmark records (DESIGN.md "Benchmarks"): their shape, writing one domain's file, and the summary
of every domain's `build/bench/<domain>.json` in `summary.json`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from environments.errors import EnvironmentsError

RECORD_KEYS = {"name", "value", "unit", "baseline", "ratio", "goal", "met", "params"}


def check_record(record: Any, source: Path, index: int) -> list[str]:
    """Problems with one benchmark record (the DESIGN.md record shape)."""
    if not isinstance(record, dict):
        return [f"{source}[{index}]: a record must be an object"]
    problems = [f"{source}[{index}]: missing key {key}" for key in sorted(RECORD_KEYS - record.keys())]
    baseline, ratio, value = record.get("baseline"), record.get("ratio"), record.get("value")
    # Records round their ratio; a thousandth, relative, is the precision they are written with.
    if (
        isinstance(baseline, int | float)
        and baseline
        and isinstance(value, int | float)
        and ratio is not None
    ) and abs(ratio - value / baseline) > 1e-3 * max(abs(ratio), 1e-9):
        problems.append(f"{source}[{index}]: ratio {ratio} is not value / baseline")
    return problems


def significant(number: float, digits: int) -> float:
    """`number` rounded to `digits` significant digits (a fixed number of decimals loses small values)."""
    return float(f"{number:.{digits}g}")


def bench_record(
    name: str, value: float, unit: str, baseline: float | None, goal: str, met: bool, params: dict[str, Any]
) -> dict[str, Any]:
    """One record of the DESIGN.md shape. Value and baseline keep 6 significant digits and the ratio 4, so
    `check_record` (a thousandth, relative) accepts it at any scale, 0.017 s as well as 17 s."""
    return {
        "name": name,
        "value": significant(value, 6),
        "unit": unit,
        "baseline": significant(baseline, 6) if baseline else None,
        "ratio": significant(value / baseline, 4) if baseline else None,
        "goal": goal,
        "met": met,
        "params": params,
    }


def write_records(out: Path, records: list[dict[str, Any]]) -> None:
    """Check and write one domain's records, and print a line per record."""
    problems = [line for index, record in enumerate(records) for line in check_record(record, out, index)]
    if problems:
        raise EnvironmentsError("\n".join(problems))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(records, indent=1) + "\n", encoding="utf-8")
    for r in records:
        versus = f" vs baseline {r['baseline']} (ratio {r['ratio']})" if r["ratio"] is not None else ""
        print(f"{r['name']}: {r['value']} {r['unit']}{versus} goal: {r['goal']} met={r['met']}")


def summarize(folder: Path) -> Path:
    """Write `summary.json`: per domain, its records; raises naming every malformed record."""
    summary: dict[str, Any] = {"domains": {}, "met": 0, "missed": 0}
    problems: list[str] = []
    for path in sorted(folder.glob("*.json")):
        if path.name == "summary.json":
            continue
        records = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(records, list):
            problems.append(f"{path}: must hold a JSON list of records")
            continue
        for index, record in enumerate(records):
            problems.extend(check_record(record, path, index))
        summary["domains"][path.stem] = records
        summary["met"] += sum(1 for r in records if isinstance(r, dict) and r.get("met") is True)
        summary["missed"] += sum(1 for r in records if isinstance(r, dict) and r.get("met") is False)
    if problems:
        raise EnvironmentsError("\n".join(problems))
    out = folder / "summary.json"
    out.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return out
