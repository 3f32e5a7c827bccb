"""Storage: one small interface (base.Storage), SQLite and PostgreSQL behind it."""

from __future__ import annotations

from pathlib import Path

from akhbar.storage.base import Page, PollResult, Storage, Tag


def open_storage(url: str, *, migrate: bool = True) -> Storage:
    """Open the database at SQLAlchemy *url*, creating/migrating it by default."""
    from akhbar.storage.sql import PostgresStorage, SQLiteStorage

    if url.startswith("sqlite"):
        path = url.split(":///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        store = SQLiteStorage(url)
    elif url.startswith("postgresql"):
        store = PostgresStorage(url)
    else:
        raise ValueError(f"unsupported database URL {url!r} (use sqlite:/// or postgresql+psycopg://)")
    if migrate:
        store.migrate()
    return store


__all__ = ["Page", "PollResult", "Storage", "Tag", "open_storage"]
