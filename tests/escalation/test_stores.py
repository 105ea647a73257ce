"""The store factory: the configured backend, or a StoreError that says what is missing."""

from __future__ import annotations

from pathlib import Path

import pytest

from escalation.stores import StoreError, open_store
from escalation.stores.sqlite import SqliteStore


async def test_sqlite_opens_the_file_it_is_given(tmp_path: Path) -> None:
    store = await open_store("sqlite", str(tmp_path / "esc.sqlite3"))
    try:
        assert isinstance(store, SqliteStore)
        assert await store.waiting() == []
    finally:
        await store.close()


@pytest.mark.parametrize(("backend", "message"), [
    ("sqlite", "no database path given"),
    ("redis", "no redis_url given"),
    ("mongo", "unknown escalation store 'mongo'"),
])
async def test_a_store_that_cannot_be_opened_says_why(backend: str, message: str) -> None:
    with pytest.raises(StoreError, match=message):
        await open_store(backend)
