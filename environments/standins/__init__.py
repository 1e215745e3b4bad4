"""Launchers for the local stand-ins of Azure services that no domain owns (broker, blob storage, the
loopback command line of the Azure ML inference server).

Each stand-in runs as a child process on loopback, is waited for by polling with a deadline, and is
stopped by PID. Domains own the stand-ins of their own services (collector, scoring server).
"""

from environments.standins.azmlinfsrv import azmlinfsrv_argv
from environments.standins.azurite import Azurite, start_azurite
from environments.standins.broker import Broker, start_broker
from environments.standins.process import ManagedProcess, StandInError, free_port, http_ok, wait_until

__all__ = [
    "Azurite",
    "Broker",
    "ManagedProcess",
    "StandInError",
    "azmlinfsrv_argv",
    "free_port",
    "http_ok",
    "start_azurite",
    "start_broker",
    "wait_until",
]
