"""The storage interface of the escalation queue and its records, and its one kind of failure.

Every change is durable when the call returns, so a crash of the bot never loses a waiting
caller or a ticket.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any, Protocol, TypeVar

from escalation.models import QueueEntry

F = TypeVar("F", bound=Callable[..., Any])


class StoreError(RuntimeError):
    """The store cannot be reached or used; the message says which and why."""


def store_errors(label: str, *errors: type[BaseException]) -> Callable[[F], F]:
    """A decorator for a store's public methods: the driver's own `errors` become StoreError,
    so callers handle one kind of failure: store unavailable."""

    def decorate(method: F) -> F:
        @functools.wraps(method)
        async def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
            try:
                return await method(self, *args, **kwargs)
            except StoreError:
                raise
            except errors as exc:
                raise StoreError(f"{label}: {exc}") from exc

        return wrapper  # type: ignore[return-value]

    return decorate


class EscalationStore(Protocol):
    """Queue entries (with their context), handle times and keyed JSON records."""

    async def enqueue(self, entry: QueueEntry) -> QueueEntry:
        """Add a waiting entry at the tail of its priority; returns it with its seq."""

    async def get(self, call_id: str) -> QueueEntry | None: ...

    async def waiting(self) -> list[QueueEntry]:
        """Waiting entries in queue order (priority, then seq)."""

    async def active(self) -> list[QueueEntry]:
        """Entries an agent holds (offered, connected, wrap_up)."""

    async def transition(
        self, call_id: str, expect: Iterable[str], changes: dict[str, Any]
    ) -> QueueEntry | None:
        """Atomically apply `changes` when the entry's state is in `expect`; else None."""

    async def requeue_head(self, call_id: str, expect: Iterable[str]) -> QueueEntry | None:
        """Put a held entry back to waiting, ahead of everyone else of its priority."""

    async def remove(self, call_id: str) -> QueueEntry | None:
        """Delete the entry (call answered and wrapped up, or abandoned)."""

    async def add_handle_time(self, seconds: float, keep: int = 50) -> None: ...

    async def handle_times(self, n: int = 20) -> list[float]:
        """The most recent handle times, newest first."""

    async def put_record(self, kind: str, record_id: str, data: dict[str, Any]) -> None: ...

    async def get_record(self, kind: str, record_id: str) -> dict[str, Any] | None: ...

    async def list_records(self, kind: str) -> list[dict[str, Any]]:
        """All records of a kind, oldest first (by their `created_at`)."""

    async def records_between(self, kind: str, start: float, end: float) -> list[dict[str, Any]]:
        """Records of a kind with start <= created_at < end, oldest first."""

    async def delete_record(self, kind: str, record_id: str) -> bool: ...

    async def close(self) -> None: ...

