"""The rendered drift alert template of an environment, and the rules in it.

Azure environments read `build/<env>/monitoring/arm/drift-alerts.json` (written by
`python -m environments render <env>`). `arm/` templates do not render for `local`, so for it the same
template is rendered with the same context into `build/local/monitoring/alerts/drift-alerts.json`:
the local evaluator applies exactly the rules Azure would get for those settings.
"""

from __future__ import annotations

import json
from pathlib import Path

from environments import render
from environments.model import Environment
from environments.render import render_template
from environments.unique_keys import loads_json
from monitoring.alerts.errors import RuleError
from monitoring.alerts.rules import AlertRule, rules_from_template

TEMPLATE = Path("monitoring/templates/arm/drift-alerts.json.j2")


def rendered_template_path(env: Environment, root: Path = render.REPO_ROOT) -> Path:
    """Where the environment's rendered drift alert template is (rendering it for `local`)."""
    if env.target == "azure":
        path = render.build_dir(env.name, root) / "monitoring" / "arm" / "drift-alerts.json"
        if not path.is_file():
            raise RuleError(f"{path}: not rendered yet; run `python -m environments render {env.name}`")
        return path
    target = render.build_dir(env.name, root) / "monitoring" / "alerts" / "drift-alerts.json"
    return render_template(env, TEMPLATE.as_posix(), target, root)


def load_rules(env: Environment, root: Path = render.REPO_ROOT) -> tuple[Path, list[AlertRule]]:
    """The rendered template's path and its rules."""
    path = rendered_template_path(env, root)
    try:
        document = loads_json(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise RuleError(f"{path}: cannot read the rendered alert template: {exc}") from exc
    return path, rules_from_template(document, str(path))
