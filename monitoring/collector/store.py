"""Durable SQLite store of telemetry items (WAL), indexed by time, type and name."""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .envelopes import StoredItem
from .errors import StoreError
from .timestamps import format_timestamp

STORE_MODE = 0o600

SCHEMA = """
CREATE TABLE IF NOT EXISTS items (
    id INTEGER PRIMARY KEY,
    time_us INTEGER NOT NULL,
    type TEXT NOT NULL,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    properties TEXT NOT NULL,
    value REAL,
    count INTEGER,
    envelope TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS items_time ON items (time_us);
CREATE INDEX IF NOT EXISTS items_type_name_time ON items (type, name, time_us);
"""


@dataclass(frozen=True)
class ItemQuery:
    """Filters of one query; times are epoch microseconds, `from_us` inclusive and `to_us` exclusive."""

    type: str | None = None
    name: str | None = None
    from_us: int | None = None
    to_us: int | None = None
    dimensions: Mapping[str, str] | None = None
    limit: int | None = None

    def _where(self) -> tuple[str, list[Any]]:
        where: list[str] = []
        args: list[Any] = []
        for column, value in (("type", self.type), ("name", self.name)):
            if value is not None:
                where.append(f"{column} = ?")
                args.append(value)
        if self.from_us is not None:
            where.append("time_us >= ?")
            args.append(self.from_us)
        if self.to_us is not None:
            where.append("time_us < ?")
            args.append(self.to_us)
        for key, value in sorted((self.dimensions or {}).items()):
            # An empty value asks for the dimension absent or empty (KQL's `isempty`), e.g. `dim.probe=`
            # for the inference rows that are not probe traffic.
            where.append("COALESCE(json_extract(properties, ?), '') = ?")
            args.extend([json_path(key), value])
        return (" WHERE " + " AND ".join(where) if where else ""), args

    def sql(self) -> tuple[str, list[Any]]:
        """The SELECT for these filters, rows in (time, arrival) order."""
        where, args = self._where()
        sql = "SELECT id, time_us, type, name, role, properties, value, count FROM items" + where
        sql += " ORDER BY time_us, id"
        if self.limit is not None:
            sql += " LIMIT ?"
            args.append(self.limit)
        return sql, args

    def count_sql(self) -> tuple[str, list[Any]]:
        """The COUNT of rows matching these filters (`limit` does not apply)."""
        where, args = self._where()
        return "SELECT COUNT(*) FROM items" + where, args


def json_path(key: str) -> str:
    """SQLite JSON path of a top-level key, quoted so dots and spaces stay part of the key."""
    return '$."' + key.replace("\\", "\\\\").replace('"', '\\"') + '"'


class EnvelopeStore:
    """Thread-safe: one connection per thread; writes are one transaction per request."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # Every feature and score is stored here: readable by its owner only (SQLite creates the
            # database, -wal and -shm files with the mode of the first one).
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT, STORE_MODE))
            for file in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
                if file.exists():
                    file.chmod(STORE_MODE)
            connection = self._connection()
            connection.execute("PRAGMA journal_mode=WAL")
            connection.executescript(SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"cannot open collector store {path}: {exc}") from exc

    def _connection(self) -> sqlite3.Connection:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = sqlite3.connect(self.path, timeout=30.0)
            connection.execute("PRAGMA synchronous=FULL")
            self._local.connection = connection
        return connection

    def add(self, items: Iterable[StoredItem]) -> int:
        """Insert items in one transaction; the count is committed before the request is answered."""
        rows = [
            (
                item.time_us,
                item.type,
                item.name,
                item.role,
                json.dumps(item.properties, sort_keys=True),
                item.value,
                item.count,
                json.dumps(item.envelope, sort_keys=True),
            )
            for item in items
        ]
        try:
            with self._connection() as connection:
                connection.executemany(
                    "INSERT INTO items (time_us, type, name, role, properties, value, count, envelope)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    rows,
                )
        except sqlite3.Error as exc:
            raise StoreError(f"cannot write {len(rows)} items to {self.path}: {exc}") from exc
        return len(rows)

    def count(self, query: ItemQuery) -> int:
        """How many rows match the filters, without reading them."""
        sql, args = query.count_sql()
        try:
            return int(self._connection().execute(sql, args).fetchone()[0])
        except sqlite3.Error as exc:
            raise StoreError(f"count on {self.path} failed: {exc}") from exc

    def query(self, query: ItemQuery) -> list[dict[str, Any]]:
        """Rows matching the filters as dicts: time, type, name, role, properties, value, count."""
        sql, args = query.sql()
        try:
            cursor = self._connection().execute(sql, args)
            rows = cursor.fetchall()
        except sqlite3.Error as exc:
            raise StoreError(f"query on {self.path} failed: {exc}") from exc
        return [
            {
                "id": row[0],
                "time": format_timestamp(row[1]),
                "type": row[2],
                "name": row[3],
                "role": row[4],
                "properties": json.loads(row[5]),
                "value": row[6],
                "count": row[7],
            }
            for row in rows
        ]

    def close(self) -> None:
        """Close this thread's connection."""
        connection = getattr(self._local, "connection", None)
        if connection is not None:
            connection.close()
            self._local.connection = None
