"""The release manifest: the exact versions dev validated, deployed unchanged by staging, then by prod.

`build/<env>/release.json` (contract in docs/contracts.md, "Release manifest"), written by the deploy's
`write-release-manifest` step after the endpoint's smoke test passed:

    {"release": "sha256:<hash of the fields below>", "git_commit": "<sha>",
     "model": {"name", "version", "uri", "metrics": {<holdout metric>: <value>}},
     "environments": {<name>: {"version", "image"}}, "components": {<name>: "<version>"},
     "deployed": [{"environment": "dev", "smoke_test": "passed"}, {"environment": "staging", ...}]}

dev creates it from what it rendered and trained; staging deploys a release whose last deployment is
dev's, prod one whose last deployment is staging's (`PROMOTED_FROM`), and each appends its own record.
A release whose versions were edited (its hash no longer matches), or that the previous stage has not
deployed and smoke-tested, or whose asset versions differ from what this checkout renders, is refused
with one line. No stage reads a registry label such as `latest`: the model version comes from here.
Pure apart from `read_release`/`write_release`.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from environments.atomic_files import write_json_atomically
from environments.errors import EnvironmentsError
from environments.unique_keys import load_yaml, loads_json

RELEASE_FILE = "release.json"
# The stage each environment takes its release from; dev creates releases.
PROMOTED_FROM = {"staging": "dev", "prod": "staging"}
RELEASE_CREATOR = "dev"
VERSIONED_FIELDS = ("git_commit", "model", "environments", "components")
SMOKE_PASSED = "passed"
PREVIEW_MODEL_VERSION = "<the release's model version>"


class ReleaseError(EnvironmentsError):
    """A release manifest cannot be deployed here (names the environment, the release and why)."""


def release_path(build: Path) -> Path:
    """`build/<env>/release.json`."""
    return build / RELEASE_FILE


def _kind(document: dict[str, Any]) -> str:
    return str(document.get("$schema", "")).rsplit("/", 1)[-1].removesuffix(".schema.json")


def rendered_assets(build: Path) -> dict[str, Any]:
    """The Azure ML environments (version, image) and components (version) rendered under `build`."""
    environments: dict[str, dict[str, str]] = {}
    components: dict[str, str] = {}
    for path in sorted(build.rglob("azureml/**/*.yml")):
        document = load_yaml(path.read_text(encoding="utf-8"))
        if not isinstance(document, dict):
            continue
        if _kind(document) == "environment":
            environments[document["name"]] = {
                "version": str(document["version"]),
                "image": str(document.get("image", "")),
            }
        elif _kind(document) == "commandComponent":
            components[document["name"]] = str(document["version"])
    return {"environments": environments, "components": components}


def release_id(release: dict[str, Any]) -> str:
    """The content hash of a release's versions (what a stage must deploy unchanged)."""
    versioned = {key: release.get(key) for key in VERSIONED_FIELDS}
    canonical = json.dumps(versioned, sort_keys=True, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def new_release(assets: dict[str, Any], model: dict[str, Any], git_commit: str) -> dict[str, Any]:
    """The release dev validated: its rendered assets, the model version it serves, the commit."""
    served = {key: str(model[key]) for key in ("name", "version", "uri")}
    # The served version's holdout metrics (the gate's numbers), for the release notes.
    metrics = {name: float(value) for name, value in (model.get("metrics") or {}).items()}
    release = {
        "git_commit": git_commit,
        "model": {**served, "metrics": metrics} if metrics else served,
        "environments": assets["environments"],
        "components": assets["components"],
    }
    return {"release": release_id(release), **release, "deployed": []}


def with_deployment(release: dict[str, Any], environment: str) -> dict[str, Any]:
    """The release with `environment`'s deployment recorded (written only after its smoke test passed)."""
    record = {"environment": environment, "smoke_test": SMOKE_PASSED}
    return {**release, "deployed": [*release.get("deployed", []), record]}


def check_promoted(environment: str, release: dict[str, Any]) -> None:
    """Refuse, with one line, a release that was edited or that the stage before `environment` has not
    deployed and smoke-tested (its last `deployed` entry)."""
    name = str(release.get("release", "?"))
    if environment not in PROMOTED_FROM:
        raise ReleaseError(f"{environment}: creates releases and deploys none (got release {name})")
    if release.get("release") != release_id(release):
        raise ReleaseError(
            f"{environment}: refusing release {name}: its versions no longer match its hash "
            f"({release_id(release)}), it was edited after {RELEASE_CREATOR} wrote it"
        )
    source = PROMOTED_FROM[environment]
    deployed = [d.get("environment") for d in release.get("deployed", [])]
    last = release.get("deployed", [{}])[-1] if deployed else {}
    if last.get("environment") != source or last.get("smoke_test") != SMOKE_PASSED:
        raise ReleaseError(
            f"{environment}: refusing release {name}: {source} has not deployed and smoke-tested it "
            f"(deployed in: {', '.join(map(str, deployed)) or 'nothing'})"
        )


def check_release(environment: str, release: dict[str, Any], assets: dict[str, Any]) -> None:
    """Refuse, with one line, a release `environment` must not deploy."""
    check_promoted(environment, release)
    name = str(release.get("release", "?"))
    for kind in ("environments", "components"):
        for asset, wanted in sorted(release[kind].items()):
            have = assets[kind].get(asset)
            if have != wanted:
                raise ReleaseError(
                    f"{environment}: release {name} has {kind[:-1]} {asset} {wanted}, this checkout renders "
                    f"{have}: deploy from the release's commit {release['git_commit']}"
                )


def preview_release(build: Path, model_name: str) -> dict[str, Any]:
    """What `--plan-only --offline` plans staging and prod with when no release is given (the pull-request
    check): this checkout's versions and a placeholder model version. Marked `preview`: planned only,
    never applied (offline planning cannot apply, and the release step refuses it)."""
    assets = rendered_assets(build)
    model = {"name": model_name, "version": PREVIEW_MODEL_VERSION, "uri": ""}
    return {**new_release(assets, model, "(this checkout)"), "preview": True}


def read_release(path: Path) -> dict[str, Any]:
    try:
        release: dict[str, Any] = loads_json(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ReleaseError(f"{path}: no release manifest ({exc})") from exc
    missing = [key for key in ("release", *VERSIONED_FIELDS, "deployed") if key not in release]
    if missing:
        raise ReleaseError(f"{path}: release manifest lacks {', '.join(missing)}")
    return release


def write_release(path: Path, release: dict[str, Any]) -> Path:
    """Write atomically (a reader never sees half a file)."""
    return write_json_atomically(path, release, indent=2, sort_keys=True)
