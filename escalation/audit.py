"""The audit trail: who did what, when, from where. Append-only records in the escalation store.

Entries are only ever added; the one deletion is retention (older than
`escalation.audit_retention_days`), done when the trail is read or opened.
"""

from __future__ import annotations

import logging
import secrets
import time
from typing import Any

from escalation.stores import EscalationStore, StoreError

KIND = "audit"
log = logging.getLogger(__name__)


class AuditTrail:
    def __init__(self, store: EscalationStore, retention_days: float = 365) -> None:
        self.store = store
        self.retention_days = retention_days

    async def record(self, who: str, action: str, where: str | None, what: Any = "") -> None:
        """Append one entry; a store outage is logged, never turned into a failed request."""
        now = time.time()
        entry = {"id": f"{now:017.6f}-{secrets.token_hex(4)}", "created_at": now, "who": who,
                 "action": action, "where": where or "", "what": what}
        try:
            await self.store.put_record(KIND, entry["id"], entry)
        except StoreError as exc:
            log.warning("audit entry not stored (%s): %s %s %s", exc, who, action, what)

    async def entries(self, limit: int = 500) -> list[dict[str, Any]]:
        """The newest `limit` entries, newest first (after dropping expired ones)."""
        await self.purge()
        entries = await self.store.list_records(KIND)
        return list(reversed(entries[-limit:]))

    async def purge(self) -> int:
        cutoff = time.time() - self.retention_days * 86400
        old = [e for e in await self.store.list_records(KIND) if e["created_at"] < cutoff]
        for entry in old:
            await self.store.delete_record(KIND, entry["id"])
        return len(old)
