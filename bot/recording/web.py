"""The supervisors' recording player: `/console/recordings` and `/api/recordings/...`.

Every route needs a console session of a supervisor (agents get 403). Each playback (the
first request of an audio stream) and each download leaves an audit line. Audio is served as
`audio/flac` with byte ranges, decrypted in memory for an encrypted recording.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from aiohttp import web

from bot.call.services import SERVICES
from bot.recording import library
from bot.recording.crypto import WrongKey
from escalation.auth import check_session, json_error, require

STATIC = Path(__file__).with_name("static")
ASSETS = {"player.js": "application/javascript", "player.css": "text/css"}
RANGE = re.compile(r"bytes=(\d*)-(\d*)$")
LONG_NUMBER = re.compile(r"\d(?:[\s,.-]*\d){5,}")  # six digits or more, read one by one or not
ROLE = "supervisor"


def add_routes(app: web.Application) -> None:
    app.router.add_routes([
        web.get("/console/recordings", player_page),
        web.get("/console/recordings/static/{name}", asset),
        web.get("/api/recordings", require(ROLE)(list_recordings)),
        web.get("/api/recordings/{call_id}", require(ROLE)(one_recording)),
        web.get("/api/recordings/{call_id}/audio", require(ROLE)(play)),
        web.get("/api/recordings/{call_id}/download", require(ROLE)(download)),
    ])


async def player_page(request: web.Request) -> web.StreamResponse:
    """The player; without a session a 401 page pointing to the console's login."""
    refused = await check_session(request, (ROLE,))
    if refused is not None and refused.status == 401:
        return _html('<p>Log in at <a href="/console">the console</a> first.</p>', 401)
    if refused is not None:
        return _html("<p>Recordings are for supervisors.</p>", 403)
    return _html((STATIC / "player.html").read_text(encoding="utf-8"), 200)


def _html(text: str, status: int) -> web.Response:
    response = web.Response(text=text, content_type="text/html", status=status)
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; media-src 'self'; img-src 'self' data:; frame-ancestors 'none'")
    response.headers["Cache-Control"] = "no-store"
    return response


async def asset(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    if name not in ASSETS:
        raise web.HTTPNotFound()
    return web.Response(body=(STATIC / name).read_bytes(), content_type=ASSETS[name])


def _directory(request: web.Request) -> Path:
    return request.app[SERVICES].recordings.directory


async def list_recordings(request: web.Request) -> web.Response:
    return web.json_response({"recordings": await asyncio.to_thread(library.listing, _directory(request))})


async def one_recording(request: web.Request) -> web.Response:
    """The recording's metadata (pauses, turn marks) with the call's redacted transcript."""
    call_id = request.match_info["call_id"]
    meta = await asyncio.to_thread(library.metadata, _directory(request), call_id)
    if meta is None:
        return json_error(404, "no such recording")
    records = request.app[SERVICES].records
    turns = await records.transcript(call_id)
    for turn in turns:  # keyed digits and read-backs the record's redaction lets through
        for key in ("user_text", "bot_text"):
            turn[key] = LONG_NUMBER.sub("[NUMBER]", turn[key] or "")
    return web.json_response({"recording": meta, "call": await records.get(call_id), "turns": turns})


async def _audio(request: web.Request, action: str, audit: bool) -> bytes | web.Response:
    services = request.app[SERVICES]
    call_id = request.match_info["call_id"]
    try:
        data = await asyncio.to_thread(library.audio, _directory(request), call_id,
                                       services.recordings.settings.encryption_key)
    except WrongKey as exc:
        return json_error(409, str(exc))
    if data is None:
        return json_error(404, "no such recording")
    if audit and services.escalation is not None:
        await services.escalation.audit.record(request["agent"].username, action, request.remote,
                                               {"call_id": call_id})
    return data


async def play(request: web.Request) -> web.Response:
    """The FLAC, whole or the byte range asked for."""
    match = RANGE.match(request.headers.get("Range", "").strip())
    first = int(match.group(1)) if match and match.group(1) else 0
    data = await _audio(request, "recording_played", audit=first == 0)
    if isinstance(data, web.Response):
        return data
    headers = {"Accept-Ranges": "bytes", "Cache-Control": "no-store"}
    if match is None:
        return web.Response(body=data, content_type="audio/flac", headers=headers)
    size = len(data)
    last = int(match.group(2)) if match.group(2) else size - 1
    if not match.group(1) and match.group(2):  # "bytes=-N": the last N bytes
        first, last = max(0, size - int(match.group(2))), size - 1
    last = min(last, size - 1)
    if first >= size or first > last:
        return web.Response(status=416, headers={"Content-Range": f"bytes */{size}"})
    headers["Content-Range"] = f"bytes {first}-{last}/{size}"
    return web.Response(status=206, body=data[first:last + 1], content_type="audio/flac", headers=headers)


async def download(request: web.Request) -> web.Response:
    data = await _audio(request, "recording_downloaded", audit=True)
    if isinstance(data, web.Response):
        return data
    name = library.file_name(request.match_info["call_id"])
    return web.Response(body=data, content_type="audio/flac", headers={
        "Content-Disposition": f'attachment; filename="{name}.flac"', "Cache-Control": "no-store"})
