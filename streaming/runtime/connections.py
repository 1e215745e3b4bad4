"""Where the runtime connects: the Kafka endpoint (local broker or Event Hubs) and blob storage.

Local: the broker on `127.0.0.1:<local.broker_port>` and Azurite's development account, unless given.
Azure: Event Hubs' Kafka endpoint `<namespace>.servicebus.windows.net:9093` over SASL_SSL, either PLAIN
with a connection string (user `$ConnectionString`) read from an environment variable, or OAUTHBEARER
with a Microsoft Entra token from azure-identity; blob storage with DefaultAzureCredential.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from environments.model import Environment
from environments.standins.well_known import AZURITE_ACCOUNT, AZURITE_ACCOUNT_KEY, azurite_blob_endpoint
from streaming.runtime.errors import SettingsError

EVENT_HUBS_KAFKA_PORT = 9093
# Consumer groups join in ~3 s with these (23 s with the defaults).
FAST_GROUP_JOIN = {"session.timeout.ms": 6000, "heartbeat.interval.ms": 1000}


@dataclass(frozen=True)
class KafkaSettings:
    """Client settings shared by consumer, producer and admin client."""

    bootstrap_servers: str
    connection_string_env: str | None = None
    oauth: bool = False

    def client_config(self) -> dict[str, Any]:
        config: dict[str, Any] = {"bootstrap.servers": self.bootstrap_servers}
        if self.connection_string_env:
            secret = os.environ.get(self.connection_string_env)
            if not secret:
                raise SettingsError(
                    f"Event Hubs connection string: environment variable {self.connection_string_env} is not set"
                )
            config |= {
                "security.protocol": "SASL_SSL",
                "sasl.mechanisms": "PLAIN",
                "sasl.username": "$ConnectionString",
                "sasl.password": secret,
            }
        elif self.oauth:
            namespace = self.bootstrap_servers.split(":", 1)[0]
            config |= {
                "security.protocol": "SASL_SSL",
                "sasl.mechanisms": "OAUTHBEARER",
                "oauth_cb": _entra_token_callback(f"https://{namespace}/.default"),
            }
        return config


def _entra_token_callback(scope: str) -> Any:
    """An `oauth_cb` for confluent-kafka that gets Event Hubs tokens from DefaultAzureCredential."""
    from azure.identity import DefaultAzureCredential

    credential = DefaultAzureCredential()

    def token(_config: str) -> tuple[str, float]:
        access = credential.get_token(scope)
        return access.token, float(access.expires_on)

    return token


def kafka_settings(
    env: Environment, namespace: str, bootstrap_servers: str | None, connection_string_env: str | None
) -> KafkaSettings:
    """The broker for `env`: a flag wins; local -> loopback broker port; Azure -> Event Hubs Kafka endpoint."""
    if bootstrap_servers:
        return KafkaSettings(bootstrap_servers, connection_string_env)
    if env.local is not None:
        return KafkaSettings(f"127.0.0.1:{env.local.broker_port}")
    return KafkaSettings(
        f"{namespace}.servicebus.windows.net:{EVENT_HUBS_KAFKA_PORT}",
        connection_string_env,
        oauth=connection_string_env is None,
    )


def blob_service(env: Environment, account: str, connection_string_env: str | None) -> Any:
    """A BlobServiceClient: from a connection string variable, Azurite locally, or Entra ID in Azure."""
    from azure.storage.blob import BlobServiceClient

    if connection_string_env:
        value = os.environ.get(connection_string_env)
        if not value:
            raise SettingsError(f"blob storage: environment variable {connection_string_env} is not set")
        return BlobServiceClient.from_connection_string(value)
    if env.local is not None:
        endpoint = azurite_blob_endpoint(env.local.azurite_blob_port)
        return BlobServiceClient(
            endpoint, credential={"account_name": AZURITE_ACCOUNT, "account_key": AZURITE_ACCOUNT_KEY}
        )
    from azure.identity import DefaultAzureCredential

    return BlobServiceClient(f"https://{account}.blob.core.windows.net", credential=DefaultAzureCredential())
