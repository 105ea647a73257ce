"""`/console/review` (the page) and `/api/review/...` (its data and actions): designers only.

The review desk itself (call records, recordings, the NLU project and models) belongs to the
bot, which sets it on the app at start-up (`REVIEW_KEY`), as it does the analytics.
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

from aiohttp import web

from escalation.analytics_web import STATIC, role_page
from escalation.auth import json_error, require, services_of

log = logging.getLogger(__name__)
REVIEW_KEY = "escalation_review"
ROLE = "designer"
ASSETS = {"review.js": "application/javascript", "review.css": "text/css"}


class ReviewDeskLike(Protocol):
    async def items(self, reason: str | None, intent: str | None, first: str | None,
                    last: str | None) -> dict[str, Any]: ...

    async def audio(self, call_id: str, idx: int) -> bytes | None: ...

    async def label(self, call_id: str, idx: int, intent: str, corrected: str | None,
                    who: str) -> dict[str, Any]: ...

    async def intents(self) -> list[str]: ...

    async def status(self) -> dict[str, Any]: ...

    async def train(self, voice: bool = False) -> dict[str, Any]: ...

    async def change(self, action: str, who: str) -> dict[str, Any]: ...


def _desk(request: web.Request) -> ReviewDeskLike:
    desk = request.app.get(REVIEW_KEY)
    if desk is None:
        raise web.HTTPServiceUnavailable(text='{"error": "review is not available: the call records are not open"}',
                                         content_type="application/json")
    return desk


async def review_page(request: web.Request) -> web.Response:
    """The page for a designer; the console's login form without a session; 403 for others."""
    return await role_page(request, ROLE, "review.html", "Review is for conversation designers.\n")


async def review_asset(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    if name not in ASSETS:
        raise web.HTTPNotFound()
    return web.Response(body=(STATIC / name).read_bytes(), content_type=ASSETS[name])


@require(ROLE)
async def list_turns(request: web.Request) -> web.Response:
    """`?reason=&intent=&from=YYYY-MM-DD&to=YYYY-MM-DD`: the turns to review, grouped."""
    q = request.query
    try:
        found = await _desk(request).items(q.get("reason") or None, q.get("intent") or None,
                                           q.get("from") or None, q.get("to") or None)
    except ValueError as exc:
        return json_error(400, str(exc))
    found["labels"] = await _desk(request).intents()
    return web.json_response(found)


@require(ROLE)
async def turn_audio(request: web.Request) -> web.Response:
    call_id, number = request.match_info["call_id"], request.match_info["idx"]
    if not number.isdigit():
        return json_error(404, "no such turn")
    idx = int(number)
    try:
        clip = await _desk(request).audio(call_id, idx)
    except Exception as exc:  # a wrong key, a damaged file: the page shows no audio
        log.warning("review: no audio for %s turn %s: %r", call_id, idx, exc)
        clip = None
    if clip is None:
        return json_error(404, "no recording of this turn")
    await services_of(request).audit.record(request["agent"].username, "review_listen", request.remote,
                                            {"call_id": call_id, "turn": idx})
    return web.Response(body=clip, content_type="audio/wav", headers={"Cache-Control": "no-store"})


@require(ROLE)
async def label_turn(request: web.Request) -> web.Response:
    """{call_id, idx, intent, corrected?}: the example goes into nlu/data/nlu/reviewed/."""
    body = await request.json() if request.content_type == "application/json" else None
    if not isinstance(body, dict) or not body.get("call_id") or not body.get("intent"):
        return json_error(400, "send JSON with call_id, idx and intent")
    desk = _desk(request)
    if body["intent"] not in await desk.intents():
        return json_error(400, f"unknown intent {body['intent']!r}")
    who = request["agent"].username
    try:
        record = await desk.label(str(body["call_id"]), int(body.get("idx", 0)), body["intent"],
                                  body.get("corrected") or None, who)
    except KeyError as exc:
        return json_error(404, str(exc.args[0]))
    except ValueError as exc:
        return json_error(400, str(exc))
    await services_of(request).audit.record(who, "review_label", request.remote, record)
    return web.json_response(record)


@require(ROLE)
async def model_status(request: web.Request) -> web.Response:
    return web.json_response(await _desk(request).status())


@require(ROLE)
async def train_candidate(request: web.Request) -> web.Response:
    body = await request.json() if request.content_type == "application/json" else {}
    try:
        state = await _desk(request).train(voice=bool((body or {}).get("voice")))
    except ValueError as exc:
        return json_error(409, str(exc))
    await services_of(request).audit.record(request["agent"].username, "model_train", request.remote,
                                            {"voice": bool((body or {}).get("voice"))})
    return web.json_response(state, status=202)


def _change(action: str):
    @require(ROLE)
    async def change(request: web.Request) -> web.Response:
        who = request["agent"].username
        try:
            entry = await _desk(request).change(action, who)
        except ValueError as exc:  # nothing to promote, discard or roll back to
            return json_error(409, str(exc))
        await services_of(request).audit.record(who, f"model_{action}", request.remote, entry)
        return web.json_response(entry)

    change.__name__ = f"model_{action}"
    return change


def add_review_routes(app: web.Application) -> None:
    """The page, its assets and its API (the desk itself comes later, at start-up)."""
    app.router.add_routes([
        web.get("/console/review", review_page),
        web.get("/console/review/static/{name}", review_asset),
        web.get("/api/review/turns", list_turns),
        web.get("/api/review/turns/{call_id}/{idx}/audio", turn_audio),
        web.post("/api/review/labels", label_turn),
        web.get("/api/review/models", model_status),
        web.post("/api/review/models/candidate", train_candidate),
        *[web.post(f"/api/review/models/{action}", _change(action))
          for action in ("promote", "discard", "rollback")],
    ])
