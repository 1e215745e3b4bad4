"""Domains meet at contracts, not imports (docs/architecture.md): a domain's product code imports only
`environments` and itself. The documented exceptions: the scoring code (`ml/scoring`) ships and
imports `monitoring.telemetry`, and the endpoint's traffic history (`ml/serving/traffic_history.py`)
writes its `traffic` events into the same inference log through it (docs/contracts.md, Inference log;
decision 0014). `environments` imports no domain.

Not checked, by design: tests and `testing.py` helpers (cross-domain tests use other domains' stand-ins),
and benchmarks (`<domain>/bench/`), which measure the whole system.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOMAINS = ("ml", "streaming", "monitoring", "export")
ALLOWED = {("ml/scoring", "monitoring.telemetry"), ("ml/serving/traffic_history.py", "monitoring.telemetry")}


def _product_modules(package: str) -> list[Path]:
    return sorted(
        path
        for path in (ROOT / package).rglob("*.py")
        if "tests" not in path.relative_to(ROOT).parts
        and "bench" not in path.relative_to(ROOT).parts
        and path.name != "testing.py"
    )


def _imported(path: Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
    return found


def _crossings(package: str) -> list[str]:
    others = [d for d in DOMAINS if d != package]
    problems = []
    for path in _product_modules(package):
        relative = path.relative_to(ROOT).as_posix()
        for line, module in _imported(path):
            target = module.split(".")[0]
            if target not in others:
                continue
            if any(relative.startswith(src) and module.startswith(dst) for src, dst in ALLOWED):
                continue
            problems.append(f"{relative}:{line} imports {module}")
    return problems


@pytest.mark.parametrize("package", [*DOMAINS, "environments"])
def test_product_code_imports_no_other_domain(package: str) -> None:
    assert _crossings(package) == [], "meet at a contract (a file, an HTTP API, a topic) or `environments`"


def test_the_check_sees_a_crossing(tmp_path: Path) -> None:
    module = tmp_path / "bad.py"
    module.write_text("import os\nfrom streaming.engine import compile_query\nimport export.rows\n")
    assert [name for _, name in _imported(module)] == ["os", "streaming.engine", "export.rows"]
