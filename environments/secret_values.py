"""Values that look like secrets, refused anywhere in an environment file (pure).

Environment files are committed and rendered into ARM parameters, JobConfig.json and Azure ML YAML, so
a secret pasted into any value (a tag included) would end up in git and in build output. Secrets are
given as references instead (`env:NAME`, `keyvault:name`; see `environments.model.SecretRef`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

# What each pattern catches, named in the error. Case-insensitive; keys of connection strings and
# SAS tokens as Azure documents them (storage, Event Hubs/Service Bus, Application Insights, SQL).
_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (what, re.compile(pattern, re.IGNORECASE))
    for what, pattern in (
        ("a storage account key (AccountKey=)", r"(^|;)\s*AccountKey\s*="),
        ("a shared access key (SharedAccessKey=)", r"(^|;)\s*SharedAccessKey\s*="),
        ("a shared access signature (SharedAccessSignature=)", r"(^|;)\s*SharedAccessSignature\s*="),
        ("a SAS token signature (sig=)", r"(^|[?&;])\s*sig\s*="),
        (
            "an Application Insights connection string (InstrumentationKey=)",
            r"(^|;)\s*InstrumentationKey\s*=",
        ),
        ("a connection string password (Password=)", r"(^|;)\s*(Password|Pwd)\s*="),
        ("a private key", r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
        ("a GitHub token", r"\b(gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})"),
        ("credentials in a URL (user:password@)", r"[a-z][a-z0-9+.-]*://[^/\s:@]+:[^/\s@]+@"),
        ("a JSON web token", r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\."),
    )
)


def secret_kind(text: str) -> str | None:
    """What secret `text` looks like, or None."""
    for what, pattern in _PATTERNS:
        if pattern.search(text):
            return what
    return None


def secret_looking_values(data: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], str]]:
    """(key path, what it looks like) for every key or value in `data` that looks like a secret."""
    if isinstance(data, dict):
        for key, value in data.items():
            here = (*path, str(key))
            kind = secret_kind(str(key))
            if kind:
                yield here, kind
            yield from secret_looking_values(value, here)
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from secret_looking_values(value, (*path, str(index)))
    elif isinstance(data, str):
        kind = secret_kind(data)
        if kind:
            yield path, kind
