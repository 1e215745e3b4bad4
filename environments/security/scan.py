"""Run checkov, zizmor, actionlint and bandit (from tools/security's own uv environment) and triage
their findings.

`python -m environments security` renders nothing itself: `nox -s security` renders first, and this
scans build/<env>/ of every Azure environment, .github/ and the code. Every tool runs offline.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from environments.loader import environment_names, load_environment
from environments.security.allowlist import (
    AllowEntry,
    Finding,
    SecurityScanError,
    load_allowlist,
    triage,
)
from environments.security.reports import (
    actionlint_findings,
    bandit_findings,
    checkov_findings,
    zizmor_findings,
)

SCANNERS_PROJECT = Path("tools") / "security"
ALLOW_DIR = SCANNERS_PROJECT / "allow"
# The code bandit reads: the project's packages and the repository's own tools, never their tests.
BANDIT_TARGETS = ("environments", "ml", "streaming", "monitoring", "export", "tools")
BANDIT_EXCLUDE = "*/tests/*,*/.venv/*,*/node_modules/*"


@dataclass(frozen=True)
class ToolResult:
    tool: str
    findings: list[Finding]
    refused: list[Finding]
    unused: list[AllowEntry]


def azure_environments() -> list[str]:
    return [name for name in environment_names() if load_environment(name).target == "azure"]


def _run(root: Path, tool: str, args: list[str], ok_codes: tuple[int, ...]) -> str:
    uv = shutil.which("uv")
    if uv is None:
        raise SecurityScanError("the security scanners need `uv` on PATH (https://docs.astral.sh/uv/)")
    argv = [uv, "run", "--frozen", "--quiet", "--project", str(root / SCANNERS_PROJECT), tool, *args]
    # nox points UV_PROJECT_ENVIRONMENT at its own venv: drop it, or uv would sync the scanners into it.
    env = {k: v for k, v in os.environ.items() if k not in ("UV_PROJECT_ENVIRONMENT", "VIRTUAL_ENV")}
    process = subprocess.run(argv, cwd=root, env=env, capture_output=True, text=True, check=False)
    if process.returncode not in ok_codes:
        raise SecurityScanError(
            f"{tool} exited {process.returncode}: {process.stderr.strip()[-2000:] or process.stdout[-2000:]}"
        )
    return process.stdout


def run_checkov(root: Path, envs: list[str]) -> list[Finding]:
    folders = [root / "build" / name for name in envs]
    missing = [str(f) for f in folders if not f.is_dir()]
    if missing:
        raise SecurityScanError(
            f"checkov: rendered environments missing ({', '.join(missing)}); render first"
        )
    args = [arg for folder in folders for arg in ("-d", str(folder))]
    args += ["-d", str(root / ".github"), "--framework", "arm", "github_actions"]
    args += ["-o", "json", "--quiet", "--compact", "--skip-download"]
    return checkov_findings(_run(root, "checkov", args, ok_codes=(0, 1)), root)


def run_zizmor(root: Path) -> list[Finding]:
    # Exit codes 10-14 mean "findings at some severity"; the report itself decides.
    text = _run(
        root, "zizmor", ["--offline", "--format", "json", ".github/"], ok_codes=(0, 10, 11, 12, 13, 14)
    )
    return zizmor_findings(text, root)


def run_actionlint(root: Path) -> list[Finding]:
    # Exit code 1 means "errors found"; the report lists them. It checks .github/workflows/ of `root`.
    text = _run(root, "actionlint", ["-no-color", "-format", "{{json .}}"], ok_codes=(0, 1))
    return actionlint_findings(text, root)


def run_bandit(root: Path) -> list[Finding]:
    args = ["-r", *BANDIT_TARGETS, "-x", BANDIT_EXCLUDE, "-f", "json", "-q"]
    return bandit_findings(_run(root, "bandit", args, ok_codes=(0, 1)), root)


def scan(root: Path, envs: list[str] | None = None) -> list[ToolResult]:
    """Every scanner's findings, triaged against tools/security/allow/<tool>.yml."""
    envs = envs or azure_environments()
    results = []
    for tool, findings in (
        ("checkov", run_checkov(root, envs)),
        ("zizmor", run_zizmor(root)),
        ("actionlint", run_actionlint(root)),
        ("bandit", run_bandit(root)),
    ):
        entries = load_allowlist(root / ALLOW_DIR / f"{tool}.yml", tool)
        refused, unused = triage(findings, entries)
        results.append(ToolResult(tool, findings, refused, unused))
    return results


def summary(results: list[ToolResult]) -> tuple[list[str], bool]:
    """Lines to print, and whether the scan passes (nothing refused, no stale allow-list entry)."""
    lines: list[str] = []
    passed = True
    for result in results:
        accepted = len(result.findings) - len(result.refused)
        lines.append(f"{result.tool}: {len(result.findings)} findings, {accepted} accepted by the allow-list")
        for finding in result.refused:
            lines.append(f"  NOT ACCEPTED: {finding.describe()}")
        for entry in result.unused:
            lines.append(f"  STALE ALLOW-LIST ENTRY (matches nothing, remove it): {entry.source}")
        passed = passed and not result.refused and not result.unused
    return lines, passed
