"""`python -m environments render-drift BASE_BUILD`: the rendered files of this checkout (build/) against
another rendering (main's, in pr.yml), by resource (`render_drift.py`), as markdown for the job summary."""

from __future__ import annotations

from pathlib import Path

from environments.loader import environment_names
from environments.render import REPO_ROOT
from environments.render_drift import compare_trees, drift_markdown

# Written by deploys into build/<env>/, not rendered (deployed state, plans, release manifests).
NOT_RENDERED = ("state",)


def read_tree(build: Path, environments: list[str]) -> dict[str, str]:
    """`<env>/<path>` -> text for every rendered file under `build/<env>/` of `environments`."""
    tree: dict[str, str] = {}
    for path in sorted(build.glob("*/**/*")):
        relative = path.relative_to(build)
        if relative.parts[0] not in environments or len(relative.parts) < 3:
            continue  # build/bench/, build/<env>/release.json: not rendered
        if path.is_file() and relative.parts[1] not in NOT_RENDERED:
            tree[relative.as_posix()] = path.read_text(encoding="utf-8")
    return tree


def render_drift(
    base_build: Path,
    build: Path = REPO_ROOT / "build",
    summary: Path | None = None,
    environments: list[str] | None = None,
) -> str:
    """The markdown of every change from `base_build` to `build`; appended to `summary` if given."""
    environments = environments or environment_names()
    base, head = read_tree(base_build, environments), read_tree(build, environments)
    text = drift_markdown(compare_trees(base, head), environments)
    if summary is not None:
        with summary.open("a", encoding="utf-8") as out:
            out.write(text)
    return text
