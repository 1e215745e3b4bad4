"""The local endpoint's routing table: deployments behind the stable URL and their traffic split.

A JSON file in the state folder, replaced atomically by the rollout and re-read by the router when it
changes, like the traffic map of a managed online endpoint. Pure logic apart from the file I/O.
"""

from __future__ import annotations

import json
import random
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from environments.atomic_files import write_json_atomically
from ml.serving.errors import ManifestError

DEPLOYMENT_HEADER = "azureml-model-deployment"
"""Request header that sends a call to one named deployment, whatever the traffic (as on Azure)."""


@dataclass(frozen=True)
class RoutedDeployment:
    """One deployment the router can send requests to."""

    port: int
    pid: int
    model_name: str
    model_version: str


@dataclass(frozen=True)
class Routes:
    """Deployments by name, the percentage of traffic each takes (summing to 100, or all 0) and the
    percentage of live requests copied to a deployment that takes no live traffic (`mirror`, answers
    discarded), like a managed online endpoint's `traffic` and `mirror_traffic`."""

    generation: int = 0
    deployments: dict[str, RoutedDeployment] = field(default_factory=dict)
    traffic: dict[str, int] = field(default_factory=dict)
    mirror: dict[str, int] = field(default_factory=dict)

    def serving(self) -> str | None:
        """The deployment taking the most traffic, if any takes traffic."""
        live = [(share, name) for name, share in self.traffic.items() if share > 0]
        return max(live)[1] if live else None

    def choose(self, requested: str | None, draw: float | None = None) -> str | None:
        """Where one request goes: the named deployment, else a draw over the traffic split."""
        if requested:
            return requested if requested in self.deployments else None
        live = [(name, share) for name, share in sorted(self.traffic.items()) if share > 0]
        if not live:
            return None
        point = (random.random() if draw is None else draw) * sum(share for _, share in live)
        for name, share in live:
            point -= share
            if point < 0:
                return name
        return live[-1][0]

    def mirror_to(self, live: str, draw: float | None = None) -> str | None:
        """The deployment a copy of a request that went to `live` also goes to, if any."""
        for name, share in sorted(self.mirror.items()):
            if name != live and share > 0 and (random.random() if draw is None else draw) * 100 < share:
                return name
        return None

    def with_deployment(self, name: str, deployment: RoutedDeployment) -> Routes:
        """A new deployment at 0% traffic."""
        return Routes(
            self.generation + 1,
            {**self.deployments, name: deployment},
            {**self.traffic, name: 0},
            dict(self.mirror),
        )

    def replacing(self, name: str, deployment: RoutedDeployment) -> Routes:
        """Deployment `name` now served by another process (a restart), its traffic unchanged."""
        if name not in self.deployments:
            raise ManifestError(f"cannot replace deployment {name}: it is not in the routing table")
        return Routes(
            self.generation + 1, {**self.deployments, name: deployment}, dict(self.traffic), dict(self.mirror)
        )

    def with_traffic(self, traffic: dict[str, int], mirror: dict[str, int] | None = None) -> Routes:
        """New live shares and mirrored shares (none unless given); the rules Azure ML applies."""
        mirror = {name: share for name, share in (mirror or {}).items() if share}
        unknown = sorted((set(traffic) | set(mirror)) - set(self.deployments))
        if unknown:
            raise ManifestError(f"traffic names deployments that do not exist: {', '.join(unknown)}")
        if sum(traffic.values()) not in (0, 100) or any(v < 0 for v in traffic.values()):
            raise ManifestError(f"traffic must be percentages summing to 100, got {traffic}")
        for name, share in mirror.items():
            if not 0 < share <= 50 or traffic.get(name, 0):
                raise ManifestError(
                    f"mirror {name}: {share}% must be 1..50 to a deployment taking no live traffic"
                )
        full = {name: traffic.get(name, 0) for name in self.deployments}
        return Routes(self.generation + 1, dict(self.deployments), full, mirror)

    def without(self, name: str) -> Routes:
        if self.traffic.get(name, 0) > 0:
            raise ManifestError(f"deployment {name} still takes {self.traffic[name]}% of traffic")
        deployments = {k: v for k, v in self.deployments.items() if k != name}
        traffic = {k: v for k, v in self.traffic.items() if k != name}
        mirror = {k: v for k, v in self.mirror.items() if k != name}
        return Routes(self.generation + 1, deployments, traffic, mirror)

    def to_json(self) -> dict[str, Any]:
        return {
            "generation": self.generation,
            "deployments": {name: asdict(d) for name, d in sorted(self.deployments.items())},
            "traffic": dict(sorted(self.traffic.items())),
            "mirror": dict(sorted(self.mirror.items())),
        }


def load_routes(path: Path) -> Routes:
    """Read the routing table; a missing file is an empty table."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Routes()
    except (OSError, ValueError) as exc:
        raise ManifestError(f"{path}: cannot read the routing table: {exc}") from exc
    try:
        deployments = {name: RoutedDeployment(**value) for name, value in raw["deployments"].items()}
        traffic = {k: int(v) for k, v in raw["traffic"].items()}
        mirror = {k: int(v) for k, v in raw.get("mirror", {}).items()}
        return Routes(int(raw["generation"]), deployments, traffic, mirror)
    except (KeyError, TypeError, ValueError) as exc:
        raise ManifestError(f"{path}: malformed routing table: {exc}") from exc


def save_routes(path: Path, routes: Routes) -> None:
    """Replace the routing table atomically, so the router never reads half a file."""
    write_json_atomically(path, routes.to_json(), indent=2)
