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


async def test_records_between_keeps_the_window_oldest_first(services) -> None:
    """The analytics page reads a range of wrap-ups by time; both stores answer it the same."""
    store = services.store
    for record_id, at in (("before", 99.999), ("start", 100.0), ("mid", 150.0), ("end", 200.0)):
        await store.put_record("wrapup", record_id, {"id": record_id, "created_at": at})
    await store.put_record("abandoned", "other-kind", {"id": "other-kind", "created_at": 150.0})
    found = await store.records_between("wrapup", 100.0, 200.0)
    assert [r["id"] for r in found] == ["start", "mid"]
