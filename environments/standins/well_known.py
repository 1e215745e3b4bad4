"""The stand-ins' published development values: well-known constants, not secrets (one owner).

Azurite's development account is documented by Microsoft ("Use the Azurite emulator": the account
`devstoreaccount1` and its key are the same on every machine). The all-zero instrumentation key is
what local tools send to the local collector when they are not given the stack's own key.
"""

from __future__ import annotations

AZURITE_ACCOUNT = "devstoreaccount1"
AZURITE_ACCOUNT_KEY = (
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)

DEVELOPMENT_IKEY = "00000000-0000-0000-0000-000000000000"
"""Instrumentation key of local telemetry that is not given the stack's own key."""


def azurite_blob_endpoint(port: int) -> str:
    """Blob endpoint of the development account on an Azurite listening on loopback `port`."""
    return f"http://127.0.0.1:{port}/{AZURITE_ACCOUNT}"


def azurite_connection_string(port: int) -> str:
    """Storage connection string of the development account on an Azurite listening on loopback `port`."""
    return (
        f"DefaultEndpointsProtocol=http;AccountName={AZURITE_ACCOUNT};AccountKey={AZURITE_ACCOUNT_KEY};"
        f"BlobEndpoint={azurite_blob_endpoint(port)};"
    )
