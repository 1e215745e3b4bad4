"""Render one monitoring template for one environment, with the renderer's own Jinja set-up and context.

`python -m environments render <env>` renders everything; the local runners render the one file they
run (the drift component and pipeline, the alert rules) so that they always use the current settings,
and the `arm/` alert template is rendered for `local` too, where the renderer skips `arm/` folders.
"""

from __future__ import annotations

import os
from pathlib import Path

from environments import render
from environments.model import Environment
from environments.naming import resource_names


def render_template(env: Environment, template: str, target: Path, root: Path = render.REPO_ROOT) -> Path:
    """Render `template` (a path from the repository root) for `env` into `target`."""
    from monitoring import render_context  # render_context imports monitoring.alerts, which imports this

    values = {
        "env": env,
        "names": resource_names(env),
        "repo_root": Path(os.path.relpath(root, target.parent)).as_posix(),
        **render_context.context(env),
    }
    # The renderer's Jinja environment (StrictUndefined, json/yaml filters): the same bytes it would write.
    text = render._render_one(render._jinja(root), template, values)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    return target
