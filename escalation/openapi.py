"""The OpenAPI 3.0 description of `/api/` (served at `/api/openapi.json`)."""

from __future__ import annotations

from typing import Any

_CSRF = {"name": "X-CSRF-Token", "in": "header", "required": True, "schema": {"type": "string"},
         "description": "the csrf value from POST /api/login or GET /api/me"}
_ERR = {"description": "error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
_AUTH_ERRORS = {"401": {**_ERR, "description": "no session"},
                "403": {**_ERR, "description": "wrong role, CSRF token or origin"}}


def _op(summary: str, ok: str = "OK", body: dict | None = None, change: bool = False,
        role: str = "agent", params: list[str] = (), query: list[str] = (),
        ok_type: str = "application/json") -> dict[str, Any]:
    op: dict[str, Any] = {
        "summary": summary + (f" ({role}s only)" if role in ("supervisor", "designer") else ""),
        "responses": {"200": {"description": ok, "content": {ok_type: {}}}, **_AUTH_ERRORS},
        "parameters": [{"name": p, "in": "path", "required": True, "schema": {"type": "string"}}
                       for p in params]
        + [{"name": q, "in": "query", "required": False, "schema": {"type": "string"}} for q in query]
        + ([_CSRF] if change else []),
    }
    if body:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    return op


def _obj(**props: str) -> dict[str, Any]:
    return {"type": "object", "properties": {k: {"type": v} for k, v in props.items()}}


def openapi_document() -> dict[str, Any]:
    call = ["call_id"]
    paths = {
        "/api/login": {"post": {**_op("Log in; sets the HttpOnly session cookie, returns the CSRF token",
                                      body=_obj(username="string", password="string")),
                                "security": []}},
        "/api/logout": {"post": _op("Log out", change=True)},
        "/api/me": {"get": _op("The logged-in agent and the CSRF token")},
        "/api/me/presence": {"put": _op("Set presence (available, busy, away, offline)",
                                        body=_obj(presence="string"), change=True)},
        "/api/agents": {"get": _op("All agents and their presence", role="supervisor")},
        "/api/audit": {"get": _op("The audit trail, newest first (?limit=, default 500): logins, "
                                  "accepts, hang-ups, hand-backs, wrap-ups, status changes, exports, "
                                  "token use and record views", role="supervisor")},
        "/api/monitor/calls": {"get": _op(
            "Calls in progress on this bot machine: state, last intent, duration, agent, "
            "supervisors (listen / whisper / barge: WebSocket /console/monitor/{call_id}/audio?mode=)",
            role="supervisor")},
        "/api/queue": {"get": _op("Waiting callers in queue order, and calls held by agents")},
        "/api/queue/{call_id}": {"get": _op("One queue entry with its handoff context", params=call)},
        "/api/queue/{call_id}/accept": {"post": _op("Take the call; answer by opening the audio socket",
                                                    params=call, change=True)},
        "/api/queue/{call_id}/hang-up": {"post": _op("End the call", params=call, change=True)},
        "/api/queue/{call_id}/hand-back": {"post": _op("Give the caller back to the bot",
                                                       params=call, change=True)},
        "/api/queue/{call_id}/wrap-up": {"post": _op(
            "Notes and disposition; the call leaves the queue", params=call, change=True,
            body=_obj(notes="string", disposition="string"))},
        "/api/queue/{call_id}/requeue": {"post": _op("Put a held call back at the head of its priority",
                                                     params=call, change=True, role="supervisor")},
        "/api/transfers/{call_id}": {"get": _op(
            "The handoff context of a call transferred to a number or SIP address (the call id "
            "comes in the X-Voicebot-Call-Id SIP header)", params=call)},
        "/api/tickets": {"get": _op("Complaint tickets, newest first", query=["status", "category", "q"])},
        "/api/tickets.csv": {"get": _op("Tickets as CSV", query=["status", "category", "q"],
                                        ok_type="text/csv")},
        "/api/tickets/{record_id}": {"patch": _op("Change a ticket's status", params=["record_id"],
                                                  body=_obj(status="string", notes="string"), change=True)},
        "/api/callbacks": {"get": _op("Callback tasks, newest first", query=["status", "q"])},
        "/api/callbacks.csv": {"get": _op("Callbacks as CSV", query=["status", "q"], ok_type="text/csv")},
        "/api/analytics": {"get": _op(
            "Calls, outcomes, escalation reasons, intents, latency, queue and handle time for whole "
            "UTC days from..to (default the last 7) and one channel or all; format=csv for CSV",
            role="supervisor", query=["from", "to", "channel", "format"])},
        **_review_paths(),
        "/api/callbacks/{record_id}": {"patch": _op("Change a callback's status", params=["record_id"],
                                                    body=_obj(status="string", notes="string"),
                                                    change=True)},
    }
    return {
        "openapi": "3.0.3",
        "info": {"title": "Voice bot escalation API", "version": "1.0",
                 "description": "Live queue, tickets and callbacks for the agent console. "
                                "Live updates: WebSocket /console/ws (JSON events); agent audio: "
                                "WebSocket /console/audio/{call_id} (binary PCM16 mono 16 kHz)."},
        "paths": paths,
        "security": [{"session": []}],
        "components": {
            "securitySchemes": {"session": {"type": "apiKey", "in": "cookie", "name": "vb_session"}},
            "schemas": {"Error": _obj(error="string")},
        },
    }


def _review_paths() -> dict[str, Any]:
    """The Review page's API (escalation/review_web.py; docs/review.md)."""
    models = {f"/api/review/models/{action}": {"post": _op(summary, role="designer", change=True)}
              for action, summary in (("promote", "Make the candidate model live, audited"),
                                      ("discard", "Throw the candidate model away"),
                                      ("rollback", "Make the previous live model live again, audited"))}
    return {
        "/api/review/turns": {"get": _op(
            "Caller turns the bot fell back on, understood with low confidence, was corrected on or "
            "escalated after, grouped by similar wording", role="designer",
            query=["reason", "intent", "from", "to"])},
        "/api/review/turns/{call_id}/{idx}/audio": {"get": _op(
            "The caller's audio of one turn, from the call's recording", role="designer",
            params=["call_id", "idx"], ok_type="audio/wav")},
        "/api/review/labels": {"post": _op(
            "Teach a turn as an intent (or out_of_scope); corrected: what the caller really said",
            role="designer", change=True, body=_obj(call_id="string", idx="integer", intent="string",
                                                     corrected="string"))},
        "/api/review/models": {"get": _op("The live model, the candidate with its test report, the history",
                                          role="designer")},
        "/api/review/models/candidate": {"post": _op(
            "Train and test a candidate model (voice: also the voice scenarios)", role="designer",
            change=True, body=_obj(voice="boolean"))},
        **models,
    }
