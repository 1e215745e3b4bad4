"""Each scanner's JSON report -> Findings (pure: text in, findings out).

Severity gates, from issue 16: checkov reports no severity without a platform key, so every failed
check counts; zizmor counts above Informational; bandit counts above Low; every actionlint error counts
(it has no severities).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from environments.security.allowlist import Finding, SecurityScanError

ZIZMOR_COUNTED = {"Low", "Medium", "High"}
BANDIT_COUNTED = {"MEDIUM", "HIGH"}


def _json_documents(text: str, tool: str) -> list[Any]:
    """checkov prints one JSON document per framework (or a list); parse them all."""
    decoder = json.JSONDecoder()
    documents: list[Any] = []
    index = 0
    while True:
        while index < len(text) and text[index].isspace():
            index += 1
        if index >= len(text):
            return documents
        try:
            document, index = decoder.raw_decode(text, index)
        except json.JSONDecodeError as exc:
            raise SecurityScanError(f"{tool}: report is not JSON at character {index}: {exc}") from exc
        documents.extend(document if isinstance(document, list) else [document])


def _relative(path: str, root: Path) -> str:
    candidate = Path(path)
    if candidate.is_absolute():
        try:
            return candidate.relative_to(root).as_posix()
        except ValueError:
            return candidate.as_posix()
    return candidate.as_posix().removeprefix("./")


def checkov_findings(text: str, root: Path) -> list[Finding]:
    """Failed checks of every framework, deduplicated (checkov repeats results across -d folders)."""
    found: dict[tuple[str, str, str], Finding] = {}
    for document in _json_documents(text, "checkov"):
        if not isinstance(document, dict) or "results" not in document:
            continue
        for check in document["results"].get("failed_checks", []):
            path = _relative(check.get("file_abs_path") or check["file_path"], root)
            key = (check["check_id"], path, check.get("resource", ""))
            found[key] = Finding(
                tool="checkov",
                rule=check["check_id"],
                severity=check.get("severity") or "FAILED",
                path=path,
                resource=check.get("resource", ""),
                message=check.get("check_name", ""),
            )
    return list(found.values())


def zizmor_findings(text: str, root: Path) -> list[Finding]:
    """zizmor findings above Informational; the path and line are the finding's first location."""
    findings: list[Finding] = []
    for item in _json_documents(text, "zizmor"):
        severity = item["determinations"]["severity"]
        if severity not in ZIZMOR_COUNTED:
            continue
        location = item["locations"][0]
        path = location["symbolic"]["key"]["Local"]["verbatim_path"]
        line = location["concrete"]["location"]["start_point"]["row"] + 1
        findings.append(
            Finding(
                tool="zizmor",
                rule=item["ident"],
                severity=severity,
                path=_relative(path, root),
                resource=f"line {line}",
                message=item["desc"],
            )
        )
    return findings


def bandit_findings(text: str, root: Path) -> list[Finding]:
    """bandit results above Low severity; a file bandit could not parse is an error, not a pass."""
    report = json.loads(text)
    if report.get("errors"):
        problems = "; ".join(f"{e['filename']}: {e['reason']}" for e in report["errors"])
        raise SecurityScanError(f"bandit could not scan: {problems}")
    return [
        Finding(
            tool="bandit",
            rule=result["test_id"],
            severity=result["issue_severity"],
            path=_relative(result["filename"], root),
            resource=f"line {result['line_number']}",
            message=result["issue_text"],
        )
        for result in report["results"]
        if result["issue_severity"] in BANDIT_COUNTED
    ]


def actionlint_findings(text: str, root: Path) -> list[Finding]:
    """actionlint's `-format '{{json .}}'` report (a list of errors; empty output: none)."""
    findings: list[Finding] = []
    for document in _json_documents(text, "actionlint"):
        items = document if isinstance(document, list) else [document]
        findings += [
            Finding(
                tool="actionlint",
                rule=item["kind"],
                severity="ERROR",
                path=_relative(item["filepath"], root),
                resource=f"line {item['line']}",
                message=item["message"],
            )
            for item in items
        ]
    return findings
