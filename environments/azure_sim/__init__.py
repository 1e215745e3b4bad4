"""A simulated Azure control plane for tests, plugged in at the Azure SDKs' HTTP transport seam.

The real SDK clients (azure-mgmt-resource, azure-mgmt-resource-deployments, azure-mgmt-streamanalytics,
azure-ai-ml's `MLClient` for endpoint keys) run unchanged: they take `transport=SimulatedTransport(sim)`
and `credential=StaticCredential()`. Test code, not a product feature: the real services remain the
target. See README.md for what is simulated and what is not.
"""

from environments.azure_sim.control_plane import SimulatedAzure
from environments.azure_sim.rules import ArmError
from environments.azure_sim.transport import SimulatedTransport, StaticCredential

__all__ = ["ArmError", "SimulatedAzure", "SimulatedTransport", "StaticCredential"]
