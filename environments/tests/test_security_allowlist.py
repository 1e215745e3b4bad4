"""The security gate's triage: a finding passes only with a reasoned allow-list entry, stale entries fail."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from environments.render import REPO_ROOT
from environments.security.allowlist import Finding, SecurityScanError, load_allowlist, triage
from environments.security.reports import (
    actionlint_findings,
    bandit_findings,
    checkov_findings,
    zizmor_findings,
)
from environments.security.scan import ALLOW_DIR, ToolResult, summary


def _finding(
    rule: str = "CKV_AZURE_35", path: str = "build/prod/environments/arm/shared-infra.json"
) -> Finding:
    return Finding("checkov", rule, "FAILED", path, "Microsoft.Storage/storageAccounts.sscoreprodst", "msg")


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "checkov.yml"
    path.write_text(text, encoding="utf-8")
    return path


def test_an_entry_accepts_only_its_rule_path_and_resource(tmp_path: Path) -> None:
    entries = load_allowlist(
        _write(
            tmp_path,
            "- rule: CKV_AZURE_35\n  path: build/*/environments/arm/shared-infra.json\n"
            "  resource: Microsoft.Storage/*\n  why: waits for private endpoints\n",
        ),
        "checkov",
    )
    other_rule = _finding(rule="CKV_AZURE_36")
    other_file = _finding(path="build/prod/ml/arm/ml-infra.json")
    refused, unused = triage([_finding(), other_rule, other_file], entries)
    assert refused == [other_rule, other_file]
    assert unused == []


def test_an_entry_matching_nothing_fails_the_scan(tmp_path: Path) -> None:
    entries = load_allowlist(_write(tmp_path, "- rule: CKV_AZURE_1\n  path: '*'\n  why: gone\n"), "checkov")
    _, unused = triage([], entries)
    lines, passed = summary([ToolResult("checkov", [], [], unused)])
    assert not passed
    assert any("STALE" in line and "CKV_AZURE_1" in line for line in lines)


@pytest.mark.parametrize(
    "text",
    [
        "- rule: CKV_AZURE_35\n  path: '*'\n",  # no reason
        "- rule: CKV_AZURE_35\n  path: '*'\n  why: '  '\n",  # blank reason
        "- rule: CKV_AZURE_35\n  path: '*'\n  why: ok\n  severity: low\n",  # unknown key
        "rule: CKV_AZURE_35\n",  # not a list
        "- rule: x\n  why: a: b\n",  # not YAML
    ],
)
def test_an_entry_without_a_reason_or_with_a_typo_is_refused(tmp_path: Path, text: str) -> None:
    with pytest.raises(SecurityScanError, match=r"checkov\.yml"):
        load_allowlist(_write(tmp_path, text), "checkov")


def test_the_committed_allow_lists_load_and_give_a_reason_for_every_entry() -> None:
    for tool in ("checkov", "zizmor", "actionlint", "bandit"):
        entries = load_allowlist(REPO_ROOT / ALLOW_DIR / f"{tool}.yml", tool)
        assert all(len(entry.why) > 30 for entry in entries), tool


def test_zizmor_and_actionlint_accept_nothing_on_the_workflows() -> None:
    """Issue 14: zizmor (above Informational) and actionlint report nothing on .github/; an allow-list
    entry would let `nox -s security` pass with a finding still there."""
    for tool in ("zizmor", "actionlint"):
        assert load_allowlist(REPO_ROOT / ALLOW_DIR / f"{tool}.yml", tool) == [], tool


def test_checkov_reports_are_deduplicated_across_documents() -> None:
    check = {
        "check_id": "CKV_AZURE_35",
        "check_name": "deny by default",
        "resource": "Microsoft.Storage/storageAccounts.st",
        "file_path": "/environments/arm/shared-infra.json",
        "file_abs_path": str(REPO_ROOT / "build/dev/environments/arm/shared-infra.json"),
    }
    document = {"check_type": "arm", "results": {"failed_checks": [check]}}
    text = (
        json.dumps(document) + "\n" + json.dumps([document, {"check_type": "github_actions", "results": {}}])
    )
    (finding,) = checkov_findings(text, REPO_ROOT)
    assert finding.path == "build/dev/environments/arm/shared-infra.json"


def test_zizmor_gate_counts_low_and_above_only() -> None:
    def item(severity: str) -> dict:
        location = {
            "symbolic": {"key": {"Local": {"verbatim_path": ".github/workflows/pr.yml"}}},
            "concrete": {"location": {"start_point": {"row": 4}}},
        }
        return {"ident": "x", "desc": "d", "determinations": {"severity": severity}, "locations": [location]}

    findings = zizmor_findings(json.dumps([item("Informational"), item("Low"), item("High")]), REPO_ROOT)
    assert [f.severity for f in findings] == ["Low", "High"]
    assert findings[0].path == ".github/workflows/pr.yml"
    assert findings[0].resource == "line 5"


def test_bandit_gate_counts_above_low_and_a_parse_error_is_an_error() -> None:
    def result(severity: str) -> dict:
        return {
            "test_id": "B1",
            "issue_severity": severity,
            "filename": "./ml/x.py",
            "line_number": 3,
            "issue_text": "t",
        }

    text = json.dumps({"errors": [], "results": [result("LOW"), result("MEDIUM")]})
    assert [(f.severity, f.path) for f in bandit_findings(text, REPO_ROOT)] == [("MEDIUM", "ml/x.py")]
    with pytest.raises(SecurityScanError, match=r"ml/y\.py: syntax error"):
        bandit_findings(
            json.dumps({"errors": [{"filename": "ml/y.py", "reason": "syntax error"}], "results": []}),
            REPO_ROOT,
        )


def test_every_actionlint_error_is_a_finding_and_no_output_is_none() -> None:
    error = {
        "message": 'property "nope" is not defined',
        "filepath": ".github/workflows/x.yml",
        "line": 6,
        "column": 23,
        "kind": "expression",
    }
    (finding,) = actionlint_findings(json.dumps([error]), REPO_ROOT)
    assert (finding.rule, finding.path, finding.resource) == (
        "expression",
        ".github/workflows/x.yml",
        "line 6",
    )
    assert actionlint_findings("", REPO_ROOT) == []
