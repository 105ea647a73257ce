"""nlu.redis_url: Rasa's own RedisTrackerStore and RedisLockStore on a real redis-server, so
what one bot machine's dialogue saved is what another machine's finds."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from nlu.trackers import REDIS_KEY_PREFIX, rasa_stores
from tests.escalation.redis_server import RedisServer


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    server = RedisServer(tmp_path_factory.mktemp("rasa-redis")).start()
    yield server.url.replace("/0", "/1")  # the queue's database stays apart
    server.stop()


def test_no_redis_url_keeps_rasa_in_memory() -> None:
    assert rasa_stores("") == {}


async def test_a_tracker_saved_on_one_machine_is_found_on_another(redis_url: str) -> None:
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    domain = Domain.from_dict({"slots": {"complaint_category": {
        "type": "text", "mappings": [{"type": "custom"}]}}})
    machine_a, machine_b = rasa_stores(redis_url), rasa_stores(redis_url)
    for stores in (machine_a, machine_b):
        stores["tracker_store"].domain = domain
    tracker = DialogueStateTracker.from_events("CAredis1", [
        ActionExecuted("action_listen"), UserUttered("I want to make a complaint", {"name": "complaint"}),
        SlotSet("complaint_category", "the app")], slots=domain.slots)
    await machine_a["tracker_store"].save(tracker)

    found = await machine_b["tracker_store"].retrieve("CAredis1")
    assert found is not None and found.get_slot("complaint_category") == "the app"
    assert found.latest_message.text == "I want to make a complaint"
    keys = machine_a["tracker_store"].red.keys(f"{REDIS_KEY_PREFIX}*")
    assert any("CAredis1" in str(key) for key in keys), keys
    assert machine_a["tracker_store"].red.ttl(keys[0]) > 0  # kept for a while, not forever

    async with machine_a["lock_store"].lock("CAredis1"):  # a turn in progress on machine A
        lock = machine_b["lock_store"].get_lock("CAredis1")
        assert lock is not None and lock.tickets, "machine B does not see machine A's lock"
    released = machine_b["lock_store"].get_lock("CAredis1")
    assert released is None or not released.tickets  # released for both
