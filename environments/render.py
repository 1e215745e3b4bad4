"""Render every domain's Jinja templates for one environment into `build/<env>/<domain>/...`.

Templates live beside the domain that owns them, in `<domain>/templates/**/*.j2`; the output path is the
template path under `templates/` without `.j2`. Templates under an `arm/` folder describe Azure resources
and render only for Azure targets. A domain may add values to its templates' context with a module
`<domain>/render_context.py` defining `context(env) -> dict`, and may leave templates out for an
environment with `omitted(env) -> set[str]` (template paths under `templates/`, e.g. an output the
environment does not configure). Output is byte-for-byte deterministic.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jinja2
import yaml

from environments.errors import RenderError
from environments.loader import load_environment
from environments.model import Environment
from environments.naming import resource_names
from environments.private_network import template_context as network_context

REPO_ROOT = Path(__file__).resolve().parent.parent
DOMAINS = ("environments", "ml", "streaming", "export", "monitoring")
AZURE_ONLY_FOLDER = "arm"


def build_dir(env_name: str, root: Path = REPO_ROOT) -> Path:
    return root / "build" / env_name


def _to_json(value: Any, indent: int | None = None) -> str:
    """JSON for ARM and ASA files: no HTML escaping (Jinja's `tojson` escapes `'`, which ARM uses)."""
    return json.dumps(value, indent=indent, ensure_ascii=False, sort_keys=False)


def _to_yaml(value: Any) -> str:
    return str(yaml.safe_dump(value, sort_keys=False, default_flow_style=False)).rstrip("\n")


def _jinja(root: Path) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(root)),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["json"] = _to_json
    env.filters["yaml"] = _to_yaml
    return env


def templates(root: Path = REPO_ROOT, domains: tuple[str, ...] = DOMAINS) -> list[tuple[str, Path]]:
    """Every (domain, template path) pair, sorted."""
    found: list[tuple[str, Path]] = []
    for domain in domains:
        folder = root / domain / "templates"
        found.extend((domain, path) for path in sorted(folder.rglob("*.j2")))
    return found


def _domain_context(domain: str, env: Environment) -> dict[str, Any]:
    module_name = f"{domain}.render_context"
    if importlib.util.find_spec(module_name) is None:
        return {}
    hook: Callable[[Environment], dict[str, Any]] = importlib.import_module(module_name).context
    return hook(env)


def _omitted(domain: str, env: Environment) -> set[str]:
    module_name = f"{domain}.render_context"
    if importlib.util.find_spec(module_name) is None:
        return set()
    hook: Callable[[Environment], set[str]] | None = getattr(
        importlib.import_module(module_name), "omitted", None
    )
    return hook(env) if hook else set()


def render_environment(
    env_name: str, root: Path = REPO_ROOT, out: Path | None = None, domains: tuple[str, ...] = DOMAINS
) -> list[Path]:
    """Render the templates of `domains` (default: all) for `env_name`; returns the written files.
    Replaces those domains' previous output."""
    env = load_environment(env_name, root / "environments")
    out = out or build_dir(env_name, root)
    jinja = _jinja(root)
    written: list[Path] = []
    contexts: dict[str, dict[str, Any]] = {}
    unknown = sorted(set(domains) - set(DOMAINS))
    if unknown:
        raise RenderError(", ".join(unknown), None, f"unknown domain; known: {', '.join(DOMAINS)}")
    omitted = {domain: _omitted(domain, env) for domain in domains}
    for domain in domains:
        shutil.rmtree(out / domain, ignore_errors=True)
    out.mkdir(parents=True, exist_ok=True)
    for domain, template_path in templates(root, domains):
        relative = template_path.relative_to(root / domain / "templates")
        if AZURE_ONLY_FOLDER in relative.parts[:-1] and env.target != "azure":
            continue
        if relative.as_posix().removesuffix(".j2") in omitted[domain]:
            continue
        target = out / domain / relative.with_suffix("")
        if domain not in contexts:
            contexts[domain] = _domain_context(domain, env)
        # `repo_root`: the repository root as seen from the rendered file (for Azure ML `code:` paths);
        # `repo_path(p)`: a repository path as seen from there, absolute paths kept.
        context = _context(env, root, target, contexts[domain])
        text = _render_one(jinja, template_path.relative_to(root).as_posix(), context)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(text.encode("utf-8"))
        written.append(target)
    return written


def render_template(env: Environment, template: str, target: Path, root: Path = REPO_ROOT) -> Path:
    """Render one template (a path from the repository root) for `env` into `target`, with the same
    context as `render_environment`. For runners that need one file now, whatever the target: an `arm/`
    template renders for `local` too (the local alert evaluator applies the rendered rules)."""
    context = _context(env, root, target, _domain_context(Path(template).parts[0], env))
    text = _render_one(_jinja(root), template, context)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(text.encode("utf-8"))
    return target


def _context(env: Environment, root: Path, target: Path, extra: dict[str, Any]) -> dict[str, Any]:
    repo_root = Path(os.path.relpath(root, target.parent)).as_posix()

    def repo_path(path: str) -> str:
        """A repository-relative path as seen from the rendered file; an absolute path stays as it is."""
        return path if Path(path).is_absolute() else f"{repo_root}/{path}"

    return {
        "env": env,
        "names": resource_names(env),
        "repo_root": repo_root,
        "repo_path": repo_path,
        **network_context(env),
        **extra,
    }


def _render_one(jinja: jinja2.Environment, name: str, context: dict[str, Any]) -> str:
    try:
        return jinja.get_template(name).render(context)
    except jinja2.TemplateSyntaxError as exc:
        raise RenderError(exc.filename or name, exc.lineno, exc.message or str(exc)) from exc
    except jinja2.UndefinedError as exc:
        template, line = _template_frame(exc, name)
        raise RenderError(template, line, f"undefined variable: {exc.message}") from exc
    except jinja2.TemplateError as exc:
        template, line = _template_frame(exc, name)
        raise RenderError(template, line, str(exc)) from exc


def _template_frame(exc: BaseException, fallback: str) -> tuple[str, int | None]:
    """The innermost template frame of a render error (Jinja maps template lines into tracebacks)."""
    found: tuple[str, int | None] = (fallback, None)
    tb = exc.__traceback__
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.endswith(".j2"):
            found = (os.path.relpath(filename, REPO_ROOT), tb.tb_lineno)
        tb = tb.tb_next
    return found
