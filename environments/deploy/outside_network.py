"""Workloads a private environment renders that run outside its virtual network and reach a resource that
refuses the internet: they would deploy, then fail at run time. Found from the rendered templates (pure).

A Consumption (multi-tenant) Logic App, `Microsoft.Logic/workflows`, runs in shared Azure infrastructure,
not in the environment's network, so it cannot reach a private endpoint
(https://learn.microsoft.com/azure/logic-apps/secure-single-tenant-workflow-virtual-network-private-endpoint:
virtual network integration is a Logic Apps Standard feature). The firewall exceptions do not help: trusted-
service and resource-instance rules are exceptions of a storage account's *public* endpoint firewall
(https://learn.microsoft.com/azure/storage/common/storage-network-security), and both storage and Key Vault
set `publicNetworkAccess: Disabled` in a private environment.

No rendered app does so today (decision 0016): the export runs as an Azure ML scheduled job inside the
workspace's managed network, and the retrain app's token reaches it at deploy time as a Key Vault reference
ARM resolves (its definition names no private resource). This is the guard for the next one: a Consumption
app whose resource names a private resource (`environments/private_network.py`) is named by the plan and
refused by apply (`--accept-outside-network` to deploy it anyway).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from environments.model import Environment
from environments.private_network import private_links

CONSUMPTION_LOGIC_APP = "microsoft.logic/workflows"
DECISION = "docs/decisions/0016-export-and-retrain-in-a-private-network.md"


@dataclass(frozen=True)
class OutsideWorkload:
    """A workload rendered outside the network, the template that deploys it, and the private resources
    (type/name) its definition reaches."""

    name: str
    resource_type: str
    source: str
    reaches: tuple[str, ...]

    def line(self) -> str:
        return (
            f"{self.name} ({self.resource_type}, {self.source}) runs outside the virtual network and reaches "
            f"{', '.join(self.reaches)} (closed to the internet, network: private): it would deploy and then "
            f"fail at run time ({DECISION})"
        )


def _resources(template: dict[str, Any]) -> Iterable[dict[str, Any]]:
    for resource in template.get("resources", []):
        yield resource
        yield from _resources({"resources": resource.get("resources", [])})


def _names(text: str, name: str) -> bool:
    """`name` appears in `text` as a whole resource name (not inside a longer one)."""
    return re.search(rf"(?<![A-Za-z0-9-]){re.escape(name)}(?![A-Za-z0-9-])", text) is not None


def outside_workloads(
    env: Environment, templates: Iterable[tuple[str, dict[str, Any]]]
) -> tuple[OutsideWorkload, ...]:
    """Every Consumption Logic App of `templates` ((source, template) pairs) whose resource names a
    resource the environment reaches only through a private endpoint; none for network: public."""
    targets = {
        f"{link.resource_type}/{link.resource_name}": link.resource_name for link in private_links(env)
    }
    found = []
    for source, template in templates:
        for resource in _resources(template):
            if str(resource.get("type", "")).lower() != CONSUMPTION_LOGIC_APP:
                continue
            text = json.dumps(resource)
            reaches = tuple(sorted(target for target, name in targets.items() if _names(text, name)))
            if reaches:
                found.append(OutsideWorkload(str(resource["name"]), str(resource["type"]), source, reaches))
    return tuple(found)
