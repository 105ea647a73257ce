"""Every route of the real application, enumerated from its router, attacked four ways:
without credentials, with a wrong role, without the CSRF token, from a foreign Origin.

A new route is swept automatically; one left open fails here unless it is on PUBLIC."""

from __future__ import annotations

import re

import aiohttp

from bot.security.keys import load_server_keys

# Open to anyone on purpose, and why it is safe.
PUBLIC = {
    ("GET", "/healthz"): "liveness, no data",
    ("GET", "/readyz"): "readiness, no data",
    ("POST", "/twilio/voice"): "checks X-Twilio-Signature (403 unsigned, see test_twilio_signature)",
    ("POST", "/twilio/connect-action"): "checks X-Twilio-Signature",
    ("GET", "/twilio/media"): "the stream's one-call token is checked in its start message",
    ("GET", "/twilio/media/{call_sid}"): "the same stream; the id in the path only routes it",
    ("GET", "/browser"): "the page; a call token only for loopback or a console session",
    ("GET", "/console"): "the login page (answers 401 without a session)",
    ("GET", "/console/static/{name}"): "the console's script and style",
    ("GET", "/console/analytics/static/{name}"): "the analytics page's script, style and Chart.js",
    ("GET", "/console/recordings/static/{name}"): "the recording player's script and style",
    ("GET", "/console/review/static/{name}"): "the review page's script and style",
    ("GET", "/api/openapi.json"): "the API's description",
    ("POST", "/api/login"): "login itself (same-origin, throttled)",
    ("GET", "/metrics"): "loopback and server.metrics_allow only (test_metrics_from_outside)",
}
# Routes a plain agent may not use, and the routes a designer may not.
SUPERVISOR_ONLY = {"/api/agents", "/api/queue/{call_id}/requeue", "/api/audit", "/api/analytics",
                   "/console/analytics", "/api/monitor/calls",
                   "/console/monitor", "/console/monitor/static/monitor.js", "/console/monitor/ws",
                   "/console/monitor/{call_id}/audio", "/console/recordings",
                   "/api/recordings", "/api/recordings/{call_id}", "/api/recordings/{call_id}/audio",
                   "/api/recordings/{call_id}/download"}
READERS_ONLY = {"/calls/{call_id}"}  # supervisor or designer (or an API token)
NOT_DESIGNER = {"/api/queue/{call_id}/accept", "/api/queue/{call_id}/hang-up",
                "/api/queue/{call_id}/hand-back", "/api/queue/{call_id}/wrap-up"}
FOREIGN = {"Origin": "https://evil.example"}
# Requests between bot machines: signed with cluster.peer_secret; a cookie never counts, so
# there is no CSRF token to ask for (they answer 403 unsigned, checked above and here).
MACHINE_ONLY = {("POST", "/cluster/calls/{call_id}/{action}")}


def routes(app) -> list[tuple[str, str]]:
    found = set()
    for route in app.router.routes():
        info = route.resource.get_info() if route.resource else {}
        path = info.get("path") or info.get("formatter")
        if path and route.method != "HEAD":
            found.add((route.method, path))
    return sorted(found)


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "x1", path)


async def _call(http: aiohttp.ClientSession, method: str, url: str, **kw) -> aiohttp.ClientResponse:
    json_body = {} if method in ("POST", "PUT", "PATCH") else None
    return await http.request(method, url, json=json_body, allow_redirects=False, **kw)


async def test_the_sweep_sees_every_route_and_the_public_list_is_not_stale(bot) -> None:
    found = routes(bot.app)
    assert len(found) > 25, found
    assert set(PUBLIC) <= set(found), set(PUBLIC) - set(found)


async def test_every_route_not_public_refuses_a_request_without_credentials(bot) -> None:
    key = load_server_keys(bot.settings).stream_key.decode()
    open_routes = []
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        for method, path in routes(bot.app):
            resp = await _call(http, method, bot.url + concrete(path))
            body = await resp.text()
            assert key not in body and "vbt_" not in body, (method, path)
            assert "Set-Cookie" not in resp.headers or (method, path) == ("POST", "/api/login"), path
            if (method, path) not in PUBLIC and resp.status not in (401, 403):
                open_routes.append((method, path, resp.status))
    assert not open_routes, f"open routes not on the public list: {open_routes}"


async def test_wrong_roles_are_refused(bot) -> None:
    for user, forbidden in (("alan", SUPERVISOR_ONLY | READERS_ONLY), ("dee", SUPERVISOR_ONLY | NOT_DESIGNER)):
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            csrf = await bot.login(http, user)
            for method, path in routes(bot.app):
                if path not in forbidden:
                    continue
                resp = await _call(http, method, bot.url + concrete(path), headers={"X-CSRF-Token": csrf})
                assert resp.status == 403, (user, method, path, resp.status)


async def test_state_changes_without_the_csrf_token_are_refused(bot) -> None:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        await bot.login(http, "sam")
        for method, path in routes(bot.app):
            if method in ("GET", "HEAD") or (method, path) in PUBLIC:
                continue
            resp = await _call(http, method, bot.url + concrete(path))
            assert resp.status == 403, (method, path, resp.status)
            assert (method, path) in MACHINE_ONLY or "X-CSRF-Token" in await resp.text()


async def test_a_foreign_origin_is_refused_even_with_session_and_csrf(bot) -> None:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        csrf = await bot.login(http, "sam")
        for method, path in routes(bot.app):
            if (method, path) in PUBLIC and (method, path) != ("POST", "/api/login"):
                continue
            headers = {**FOREIGN, "X-CSRF-Token": csrf}
            resp = await _call(http, method, bot.url + concrete(path), headers=headers)
            # 403; 401 where a session never counts (the PBX's token-only transfer look-up)
            assert resp.status == (401 if path.startswith("/asterisk/") else 403), (method, path, resp.status)


async def test_websocket_handshakes_refuse_a_foreign_origin_with_a_valid_cookie(bot) -> None:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        await bot.login(http, "sam")
        async with http.get(bot.url + "/browser") as page:  # loopback: the page carries a token
            token = re.search(r'id="token"[^>]*value="([^"]+)"', await page.text()).group(1)
        for path in ("/console/ws", "/console/audio/x1", "/console/monitor/ws", "/console/monitor/x1/audio",
                     f"/browser/ws?token={token}"):
            try:
                async with http.ws_connect(bot.url + path, headers=FOREIGN):
                    raise AssertionError(f"{path} accepted a foreign Origin")
            except aiohttp.WSServerHandshakeError as exc:
                assert exc.status == 403, (path, exc.status)
        async with http.ws_connect(bot.url + "/console/ws") as ws:  # same origin: fine
            assert (await ws.receive_json(timeout=5))["type"] == "snapshot"


async def test_every_response_carries_the_security_headers(bot) -> None:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        await bot.login(http, "sam")
        for path in ("/healthz", "/api/me", "/api/queue", "/console", "/browser", "/api/tickets.csv",
                     "/api/openapi.json", "/calls/nope"):
            resp = await http.get(bot.url + path)
            assert resp.headers.get("X-Content-Type-Options") == "nosniff", path
            assert resp.headers.get("Referrer-Policy") == "no-referrer", path
            csp = resp.headers.get("Content-Security-Policy", "")
            assert "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp, (path, csp)


async def test_metrics_from_outside_are_refused_and_from_loopback_served(bot) -> None:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        assert (await http.get(bot.url + "/metrics")).status == 200
        assert (await http.get(bot.outside_url() + "/metrics")).status == 403


async def test_the_browser_page_gives_no_token_to_an_outsider(bot) -> None:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        outside = await (await http.get(bot.outside_url() + "/browser")).text()
        assert 'value=""' in outside
        inside = await (await http.get(bot.url + "/browser")).text()
        assert re.search(r'value="web-[0-9a-f-]+:v1\.', inside)
