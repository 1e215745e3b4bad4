"""Workloads a private environment renders that run outside its virtual network and reach a resource that
refuses the internet: they deploy, then fail at run time. Found from the rendered templates (pure).

A Consumption (multi-tenant) Logic App, `Microsoft.Logic/workflows`, runs in shared Azure infrastructure,
not in the environment's network, so it cannot reach a private endpoint; the documented way for a Logic
App to reach private targets is Logic Apps Standard with virtual network integration for outbound traffic
(https://learn.microsoft.com/azure/logic-apps/secure-single-tenant-workflow-virtual-network-private-endpoint).
The firewall exceptions do not help here: trusted-service and resource-instance rules are exceptions of a
storage account's *public* endpoint firewall
(https://learn.microsoft.com/azure/storage/common/storage-network-security), and Key Vault's trusted
services list is an exception of its firewall too
(https://learn.microsoft.com/azure/key-vault/general/overview-vnet-service-endpoints); both resources set
`publicNetworkAccess: Disabled` in a private environment, which closes the public endpoint whatever its
rules. The choice and the way out: docs/decisions/0013-logic-apps-in-a-private-network.md.
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
DECISION = "docs/decisions/0013-logic-apps-in-a-private-network.md"


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
