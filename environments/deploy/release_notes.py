"""Release notes from two release manifests and the query diff between their commits (pure: text out).

What a reviewer of a prod release needs: the model version, its gate metrics (the holdout metrics the
champion/challenger gate compared) against the previous release's model, the champion prod served until
now, what changed in the Stream Analytics query and in the Azure ML asset versions since the last
release, and the manifest itself. Set as the GitHub release's notes by `python -m environments release
notes --attach` (release.yml): the manifest is part of the text, not an uploaded asset, because a
published release the repository makes immutable refuses new assets and keeps only its notes editable
(https://docs.github.com/en/code-security/supply-chain-security/understanding-your-software-supply-chain/immutable-releases).
"""

from __future__ import annotations

import json
from typing import Any

from environments.deploy.release_record import NOTES_REF


def _metrics_table(model: dict[str, Any], previous: dict[str, Any] | None, primary: str) -> list[str]:
    ours = model.get("metrics") or {}
    theirs = (previous or {}).get("metrics") or {}
    if not ours:
        return ["No holdout metrics are recorded in this release's manifest."]
    head = f"v{model['version']} (this release)"
    if previous is None:
        lines = [f"| metric | {head} |", "|---|---|"]
        lines += [f"| {_name(m, primary)} | {ours[m]:.4f} |" for m in sorted(ours)]
        return [*lines, "", "First release: there is no previous champion to compare with."]
    lines = [
        f"| metric | {head} | v{previous['version']} (previous champion) | change |",
        "|---|---|---|---|",
    ]
    for metric in sorted(set(ours) | set(theirs)):
        mine, old = ours.get(metric), theirs.get(metric)
        change = f"{mine - old:+.4f}" if mine is not None and old is not None else "n/a"
        lines.append(f"| {_name(metric, primary)} | {_number(mine)} | {_number(old)} | {change} |")
    return lines


def _name(metric: str, primary: str) -> str:
    return f"**{metric}** (gate's primary metric)" if metric == primary else metric


def _number(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4f}"


def _asset_changes(release: dict[str, Any], previous: dict[str, Any]) -> list[str]:
    rows = []
    for kind in ("components", "environments"):
        ours, theirs = release.get(kind, {}), previous.get(kind, {})
        for name in sorted(set(ours) | set(theirs)):
            new, old = ours.get(name), theirs.get(name)
            if new != old:
                new_v = new.get("version") if isinstance(new, dict) else new
                old_v = old.get("version") if isinstance(old, dict) else old
                rows.append(f"| {kind[:-1]} | {name} | {old_v or '(none)'} | {new_v or '(removed)'} |")
    if not rows:
        return ["No Azure ML component or environment version changed."]
    return ["| kind | name | previous | this release |", "|---|---|---|---|", *rows]


def release_notes(
    tag: str,
    release: dict[str, Any],
    previous_tag: str | None,
    previous: dict[str, Any] | None,
    query_diff: str,
    primary_metric: str,
) -> str:
    """Markdown notes for `tag`. `previous` is the manifest of `previous_tag` (None: first release);
    `query_diff` is `git diff` of the Stream Analytics project sources between the two commits."""
    model = release["model"]
    stages = ", ".join(str(d.get("environment")) for d in release.get("deployed", []))
    lines = [
        f"# {tag}",
        "",
        f"Release `{release['release']}` of commit `{release['git_commit']}`, "
        f"deployed and smoke-tested in: {stages or 'nothing yet'}.",
        "",
        "## Model",
        "",
    ]
    old_model = None if previous is None else previous["model"]
    if old_model is None:
        lines.append(f"`{model['name']}` version {model['version']} (`{model['uri']}`).")
    elif str(old_model["version"]) == str(model["version"]):
        lines.append(
            f"`{model['name']}` version {model['version']}, unchanged since {previous_tag} (`{model['uri']}`)."
        )
    else:
        lines.append(
            f"`{model['name']}` version {model['version']} (`{model['uri']}`) replaces version "
            f"{old_model['version']} of {previous_tag}."
        )
    lines += ["", "Gate metrics (holdout):", "", *_metrics_table(model, old_model, primary_metric), ""]
    since = f"since {previous_tag}" if previous_tag else "(first release)"
    lines += [f"## Stream Analytics query changes {since}", ""]
    if previous is None:
        lines.append("First release: the whole query is new.")
    elif query_diff.strip():
        lines += ["```diff", query_diff.rstrip("\n"), "```"]
    else:
        lines.append(f"No change to the Stream Analytics query since {previous_tag}.")
    if previous is not None:
        lines += ["", f"## Azure ML asset versions changed since {previous_tag}", ""]
        lines += _asset_changes(release, previous)
    lines += ["", *_manifest_section(release)]
    return "\n".join(lines) + "\n"


def _manifest_section(release: dict[str, Any]) -> list[str]:
    return [
        "## Release manifest",
        "",
        f"What prod deploys: staging's record of commit `{release['git_commit']}` (git notes ref "
        f"`{NOTES_REF}`).",
        "",
        "<details><summary>release.json</summary>",
        "",
        "```json",
        json.dumps(release, indent=2, sort_keys=True),
        "```",
        "",
        "</details>",
    ]
