"""Thin sessions over the project's command lines: CI and a laptop run the same commands.

nox -s lint            ruff check + format check + mypy (strict for streaming/engine and environments)
nox -s tests           every test: unit, then those on real local stand-ins (pytest; posargs pass through)
nox -s unit            the tests that start no stand-in (-m "not services and not slow"), under 2 minutes
nox -s faults          the fault suite on real stand-ins (-m faults): crashes, outages, backlogs, bad input
nox -s render          render templates for environments (posargs: env names, default all)
nox -s validate        render + validate every environment's ARM templates
nox -s runner -- <env> the runs-on labels of an environment's deploy jobs (its runner: key)
nox -s security        render, then checkov, zizmor, actionlint and bandit against tools/security/allow/
nox -s deploy-local    the whole loop on this machine, every Azure service on a loopback stand-in
nox -s deploy-dev      render -> validate -> plan -> apply to Azure (posargs: --plan-only, --stage S)
nox -s deploy-staging  the same, deploying exactly a release (posargs: --release build/dev/release.json)
nox -s render-drift -- DIR   what the rendered files change against another checkout's, by resource
nox -s release -- record|promote|notes   the GitHub release path to prod (release.yml)
nox -s train           python -m ml pipeline (posargs: dev --no-wait | dev --await-minutes 50)
nox -s bench           every domain's benchmark, written to build/bench/
nox -s asa-tool -- <env>  Microsoft's azure-streamanalytics-cicd build + test on the rendered project (CI:
                       needs .NET and internet), then the check of what it wrote
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import nox

nox.options.default_venv_backend = "uv"
nox.options.reuse_existing_virtualenvs = True
nox.options.sessions = ["lint", "tests"]
nox.needs_version = ">=2025.2.9"

ROOT = Path(__file__).resolve().parent
DOMAIN_GROUPS = ("ml", "streaming", "monitoring", "export")
ASA_CICD = "azure-streamanalytics-cicd@4.0.0"
RUN_ENV = {"MLFLOW_DISABLE_TELEMETRY": "true", "PYTHONUNBUFFERED": "1"}


def install(session: nox.Session, *groups: str) -> None:
    """Install the project and the given dependency groups from uv.lock, exactly (never re-resolved)."""
    session.run_install(
        "uv",
        "sync",
        "--frozen",
        *(f"--group={group}" for group in groups),
        env={"UV_PROJECT_ENVIRONMENT": session.virtualenv.location},
        external=True,
    )


def install_node_standins(session: nox.Session) -> None:
    """Azurite (npm, pinned by tools/node/package-lock.json) for the blob storage stand-in."""
    marker = ROOT / "tools" / "node" / "node_modules" / ".package-lock.json"
    lock = ROOT / "tools" / "node" / "package-lock.json"
    if marker.exists() and marker.stat().st_mtime >= lock.stat().st_mtime:
        return
    # npm draws its progress bar only on a terminal: say what the next half minute is for, and let npm
    # log each package it fetches (`http` level) so a log shows it moving.
    session.log("installing Azurite into tools/node/node_modules (npm ci, about 40 s the first time)")
    session.run(
        "npm", "ci", "--prefix", "tools/node", "--no-audit", "--no-fund", "--loglevel=http", external=True
    )


@nox.session
def lint(session: nox.Session) -> None:
    # mypy reads the domains' third-party packages (their own annotations), so lint installs their groups.
    install(session, *DOMAIN_GROUPS, "deploy", "dev")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("mypy")


@nox.session
def tests(session: nox.Session) -> None:
    install(session, *DOMAIN_GROUPS, "deploy", "dev")
    install_node_standins(session)
    session.run("pytest", *session.posargs, env=RUN_ENV)


@nox.session
def unit(session: nox.Session) -> None:
    install(session, *DOMAIN_GROUPS, "deploy", "dev")
    session.run("pytest", "-m", "not services and not slow", *session.posargs, env=RUN_ENV)


@nox.session
def faults(session: nox.Session) -> None:
    """The fault suite on the real stand-ins: kill -9 of the runtime (twice), the endpoint paused and killed,
    the collector down, the broker restarted under a kept checkpoint, a backlog, bad events, signals to the
    loop; each counts every event where it belongs. Also part of `nox -s tests`."""
    install(session, *DOMAIN_GROUPS, "deploy", "dev")
    install_node_standins(session)
    session.run("pytest", "-m", "faults", *session.posargs, env=RUN_ENV)


@nox.session
def render(session: nox.Session) -> None:
    install(session, *DOMAIN_GROUPS)
    session.run("python", "-m", "environments", "render", *session.posargs)


@nox.session(name="asa-tool")
def asa_tool(session: nox.Session) -> None:
    """The real Stream Analytics tool on one environment's rendered project. It exits 0 even when it did
    nothing, so `streaming.querytest.tool_output` checks the ARM template it built and its test summary."""
    if len(session.posargs) != 1:
        session.error("give one environment: nox -s asa-tool -- <env>")
    env_name = session.posargs[0]
    install(session, *DOMAIN_GROUPS)
    session.run("python", "-m", "environments", "render", env_name)
    tool = ROOT / "build" / "asa-tool"
    session.run("npm", "install", "--prefix", str(tool), "--no-audit", "--no-fund", ASA_CICD, external=True)
    cli = str(tool / "node_modules" / ".bin" / "azure-streamanalytics-cicd")
    project = str(ROOT / "build" / env_name / "streaming" / "asa" / "asaproj.json")
    out = ROOT / "build" / env_name / "asa-tool"
    shutil.rmtree(out, ignore_errors=True)  # an earlier run's files must not pass for this one's
    session.run(cli, "build", "--v2", "--project", project, "--outputPath", str(out / "build"), external=True)
    session.run(cli, "test", "--project", project, "--outputPath", str(out / "test"), external=True)
    session.run(
        "python",
        "-m",
        "streaming.querytest.tool_output",
        "--build",
        str(out / "build"),
        "--summary",
        str(out / "test" / "testResultSummary.json"),
    )


@nox.session
def validate(session: nox.Session) -> None:
    install(session, *DOMAIN_GROUPS)
    session.run("python", "-m", "environments", "validate", *session.posargs)


@nox.session
def runner(session: nox.Session) -> None:
    """The runs-on labels of an environment's deploy jobs (posargs: env, --github-output in a workflow)."""
    install(session)
    session.run("python", "-m", "environments", "runner", *session.posargs)


@nox.session
def security(session: nox.Session) -> None:
    """The scanners run from tools/security's own uv project (checkov's pins would downgrade uv.lock)."""
    install(session, *DOMAIN_GROUPS)
    session.run("python", "-m", "environments", "render", *session.posargs)
    session.run("python", "-m", "environments", "security", *session.posargs)


@nox.session(name="deploy-local")
def deploy_local(session: nox.Session) -> None:
    install(session, *DOMAIN_GROUPS)
    install_node_standins(session)
    # Ctrl-C reaches nox and the loop together; nox's default is to escalate to SIGTERM after 0.3 s and
    # SIGKILL 0.2 s later, which would cut the loop's own shutdown of its services short. The loop stops
    # everything within its own deadline (20 s) and ignores repeated signals while it does.
    session.run(
        "python",
        "-m",
        "environments",
        "deploy",
        "local",
        *session.posargs,
        env=RUN_ENV,
        interrupt_timeout=45.0,
        terminate_timeout=15.0,
    )


def _deploy_azure(session: nox.Session, env_name: str) -> None:
    install(session, *DOMAIN_GROUPS, "deploy")
    session.run("python", "-m", "environments", "deploy", env_name, *session.posargs, env=RUN_ENV)


@nox.session(name="deploy-dev")
def deploy_dev(session: nox.Session) -> None:
    _deploy_azure(session, "dev")


@nox.session(name="destroy-dev")
def destroy_dev(session: nox.Session) -> None:
    install(session, *DOMAIN_GROUPS, "deploy")
    session.run("python", "-m", "environments", "destroy", "dev", *session.posargs, env=RUN_ENV)


@nox.session(name="deploy-staging")
def deploy_staging(session: nox.Session) -> None:
    _deploy_azure(session, "staging")


@nox.session(name="deploy-prod")
def deploy_prod(session: nox.Session) -> None:
    _deploy_azure(session, "prod")


@nox.session
def train(session: nox.Session) -> None:
    """`python -m ml pipeline` (posargs: env name, then its flags, e.g. `dev --no-wait`)."""
    install(session, *DOMAIN_GROUPS, "deploy")
    session.run("python", "-m", "ml", "pipeline", *(session.posargs or ["local"]), env=RUN_ENV)


@nox.session
def drift(session: nox.Session) -> None:
    """The drift pipeline for one environment (posargs: env name, then the command's own flags)."""
    install(session, *DOMAIN_GROUPS, "deploy")
    session.run("python", "-m", "monitoring", "drift-pipeline", *(session.posargs or ["local"]), env=RUN_ENV)


@nox.session(name="render-drift")
def render_drift(session: nox.Session) -> None:
    """Render this checkout and another one (posargs: its folder; pr.yml checks the base branch out
    there), then print what changes by resource (posargs after it: --summary FILE)."""
    if not session.posargs:
        session.error("give the other checkout's folder: nox -s render-drift -- ../main [--summary F]")
    install(session, *DOMAIN_GROUPS)
    base = Path(session.posargs[0]).resolve()
    session.run("python", "-m", "environments", "render")
    with session.chdir(base):  # `python -m` imports the package from the working directory: base's code
        session.run("python", "-m", "environments", "render")
    session.run("python", "-m", "environments", "render-drift", str(base / "build"), *session.posargs[1:])


@nox.session
def release(session: nox.Session) -> None:
    """`python -m environments release record|promote|notes` (promote.yml, release.yml; needs git, gh)."""
    install(session)
    session.run("python", "-m", "environments", "release", *session.posargs, env=RUN_ENV)


@nox.session
def bench(session: nox.Session) -> None:
    install(session, *DOMAIN_GROUPS)
    install_node_standins(session)
    # Each domain writes its own file in build/bench/ (ml.json, streaming.json, drift.json, export.json).
    for domain in session.posargs or ["ml", "streaming", "monitoring", "export"]:
        session.run("python", "-m", domain, "bench", env=RUN_ENV)
    session.run("python", "-m", "environments", "bench-summary", str(ROOT / "build" / "bench"), env=RUN_ENV)


if os.environ.get("CI"):
    nox.options.error_on_missing_interpreters = True
