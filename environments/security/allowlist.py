"""Reasoned allow-lists: one entry per accepted finding, each with why; pure logic, no I/O but reading the file.

An entry matches a finding when the tool and rule are equal and the finding's path (and, when the entry
names one, its resource) match the entry's glob patterns. An entry that matches nothing is reported too,
so the lists only ever hold findings that still exist.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from pathlib import Path

import yaml

from environments.errors import EnvironmentsError
from environments.unique_keys import load_yaml


class SecurityScanError(EnvironmentsError):
    """A scanner failed to run, or its allow-list file is invalid."""


@dataclass(frozen=True)
class Finding:
    """One reported problem: `path` is relative to the repository root, `resource` may be empty."""

    tool: str
    rule: str
    severity: str
    path: str
    resource: str
    message: str

    def describe(self) -> str:
        where = f"{self.path} {self.resource}".strip()
        return f"{self.tool} {self.rule} [{self.severity}] {where}: {self.message}"


@dataclass(frozen=True)
class AllowEntry:
    """An accepted finding: rule id, path glob, optional resource glob, and the reason."""

    tool: str
    rule: str
    path: str
    resource: str
    why: str
    source: str

    def matches(self, finding: Finding) -> bool:
        return (
            finding.tool == self.tool
            and finding.rule == self.rule
            and fnmatch.fnmatchcase(finding.path, self.path)
            and (not self.resource or fnmatch.fnmatchcase(finding.resource, self.resource))
        )


_KEYS = {"rule", "path", "resource", "why"}


def load_allowlist(path: Path, tool: str) -> list[AllowEntry]:
    """Read `path` (a YAML list of {rule, path, resource?, why}); every problem names the entry."""
    if not path.is_file():
        return []
    try:
        data = load_yaml(path.read_text(encoding="utf-8")) or []
    except yaml.YAMLError as exc:
        raise SecurityScanError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(data, list):
        raise SecurityScanError(f"{path}: must be a YAML list of entries, got {type(data).__name__}")
    entries: list[AllowEntry] = []
    for index, item in enumerate(data):
        where = f"{path}: entry {index + 1}"
        if not isinstance(item, dict):
            raise SecurityScanError(f"{where}: must be a mapping with rule, path, why")
        unknown = set(item) - _KEYS
        if unknown:
            raise SecurityScanError(f"{where}: unknown keys {sorted(unknown)} (allowed: {sorted(_KEYS)})")
        for key in ("rule", "path", "why"):
            if not str(item.get(key) or "").strip():
                raise SecurityScanError(f"{where}: '{key}' is required and must not be empty")
        entries.append(
            AllowEntry(
                tool=tool,
                rule=str(item["rule"]),
                path=str(item["path"]),
                resource=str(item.get("resource") or ""),
                why=str(item["why"]).strip(),
                source=f"{where} ({item['rule']} {item['path']})",
            )
        )
    return entries


def triage(findings: list[Finding], entries: list[AllowEntry]) -> tuple[list[Finding], list[AllowEntry]]:
    """(findings no entry accepts, entries that accept no finding)."""
    refused = [f for f in findings if not any(e.matches(f) for e in entries)]
    unused = [e for e in entries if not any(e.matches(f) for f in findings)]
    return refused, unused
