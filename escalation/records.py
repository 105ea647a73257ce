"""Complaint tickets and callback tasks: create, list, filter, change status, export CSV."""

from __future__ import annotations

import csv
import io
import json
import secrets
import time
from collections.abc import Mapping
from typing import Any

from escalation.redact import redact, redact_slots
from escalation.stores import EscalationStore

TICKET_STATUSES = ("open", "in_progress", "resolved", "closed")
CALLBACK_STATUSES = ("open", "scheduled", "done", "cancelled")
TICKET_FIELDS = ("reference", "status", "category", "description", "account_reference",
                 "call_id", "created_at", "updated_at", "notes")
CALLBACK_FIELDS = ("id", "status", "number", "call_id", "reason", "priority", "summary",
                   "created_at", "updated_at", "notes")


class RecordError(ValueError):
    """A bad status or an unknown record."""


def _new_reference(prefix: str) -> str:
    return f"{prefix}-{time.strftime('%y%m%d')}-{secrets.token_hex(3).upper()}"


class RecordBook:
    """One kind of record ("ticket" or "callback") with its allowed statuses."""

    def __init__(self, store: EscalationStore, kind: str, statuses: tuple[str, ...],
                 id_field: str, columns: tuple[str, ...]):
        self.store = store
        self.kind = kind
        self.statuses = statuses
        self.id_field = id_field
        self.columns = columns

    async def _save(self, record: dict[str, Any]) -> dict[str, Any]:
        await self.store.put_record(self.kind, str(record[self.id_field]), record)
        return record

    async def get(self, record_id: str) -> dict[str, Any] | None:
        return await self.store.get_record(self.kind, record_id)

    async def list(self, status: str | None = None, query: str | None = None,
                   **equals: str | None) -> list[dict[str, Any]]:
        """Records, newest first, filtered by status, exact fields and a text search."""
        wanted = {k: v for k, v in equals.items() if v}
        out = []
        for record in reversed(await self.store.list_records(self.kind)):
            if status and record.get("status") != status:
                continue
            if any(str(record.get(k, "")) != v for k, v in wanted.items()):
                continue
            if query and query.lower() not in json.dumps(record).lower():
                continue
            out.append(record)
        return out

    async def set_status(self, record_id: str, status: str, notes: str | None = None,
                         by: str | None = None) -> dict[str, Any]:
        if status not in self.statuses:
            raise RecordError(f"status must be one of {', '.join(self.statuses)}")
        record = await self.get(record_id)
        if record is None:
            raise RecordError(f"no {self.kind} {record_id!r}")
        record["status"] = status
        record["updated_at"] = time.time()
        if by:
            record["updated_by"] = by
        if notes:
            record["notes"] = redact(notes)
        return await self._save(record)

    def to_csv(self, records: list[dict[str, Any]]) -> str:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=list(self.columns), extrasaction="ignore")
        writer.writeheader()
        for record in records:
            row = {}
            for col in self.columns:
                value = record.get(col, "")
                if col.endswith("_at") and isinstance(value, (int, float)):
                    value = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(value))
                text = "" if value is None else str(value)
                # A leading =, +, - or @ would run as a formula when opened in a spreadsheet.
                row[col] = "'" + text if text[:1] in ("=", "+", "-", "@") else text
            writer.writerow(row)
        return buffer.getvalue()


class TicketBook(RecordBook):
    def __init__(self, store: EscalationStore):
        super().__init__(store, "ticket", TICKET_STATUSES, "reference", TICKET_FIELDS)

    async def create(self, ticket: Mapping[str, Any]) -> dict[str, Any]:
        """Persist a complaint ticket (a `BotTurn.ticket` dict); keeps its reference if it has one."""
        return await self._save(self.build(ticket))

    def build(self, ticket: Mapping[str, Any]) -> dict[str, Any]:
        """The ticket record `create` would save (its reference is fixed here)."""
        now = time.time()
        # The dialogue's ticket names it account_number (nlu/actions/complaint.py).
        account = ticket.get("account_reference") or ticket.get("account_number")
        fields = redact_slots({"account_reference": account})
        record = {
            "reference": str(ticket.get("reference") or _new_reference("C")),
            "status": "open",
            "category": str(ticket.get("category") or "other"),
            "description": redact(str(ticket.get("description") or "")),
            "account_reference": fields["account_reference"],
            "call_id": ticket.get("call_id"),
            "created_at": now,
            "updated_at": now,
            "notes": redact(str(ticket.get("notes") or "")),
        }
        return record


class CallbackBook(RecordBook):
    def __init__(self, store: EscalationStore):
        super().__init__(store, "callback", CALLBACK_STATUSES, "id", CALLBACK_FIELDS)

    async def create(self, number: str, context: Mapping[str, Any] | None = None,
                     call_id: str | None = None, reason: str = "caller_request",
                     priority: str = "normal", notes: str = "") -> dict[str, Any]:
        """A callback task for `number`, with the (already redacted) handoff context."""
        return await self._save(self.build(number, context, call_id, reason, priority, notes))

    def build(self, number: str, context: Mapping[str, Any] | None = None,
              call_id: str | None = None, reason: str = "caller_request",
              priority: str = "normal", notes: str = "") -> dict[str, Any]:
        """The callback record `create` would save (its id is fixed here)."""
        now = time.time()
        context = dict(context or {})
        record = {
            "id": _new_reference("CB"),
            "status": "open",
            "number": number,
            "call_id": call_id or context.get("call_id"),
            "reason": reason,
            "priority": priority,
            "summary": context.get("summary", ""),
            "context": context,
            "created_at": now,
            "updated_at": now,
            "notes": redact(notes),
        }
        return record
