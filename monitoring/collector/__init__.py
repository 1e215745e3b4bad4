"""Local stand-in for Application Insights ingestion: `POST /v2.1/track` into SQLite, plus a query API.

Exceptions::

    CollectorError
    ├── PayloadError     a request body that is not a batch of envelopes at all
    ├── QueryError       a query parameter that cannot be understood
    └── StoreError       the SQLite store cannot be opened or written
"""

from .envelopes import ItemError, StoredItem, parse_batch
from .errors import CollectorError, PayloadError, QueryError, StoreError
from .store import EnvelopeStore

__all__ = [
    "CollectorError",
    "EnvelopeStore",
    "ItemError",
    "PayloadError",
    "QueryError",
    "StoreError",
    "StoredItem",
    "parse_batch",
]
