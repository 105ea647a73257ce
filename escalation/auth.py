"""Console and API authentication: session cookie, roles, CSRF token, same-origin checks.

Every route but the login page's assets, `POST /api/login` and the OpenAPI document needs a
session: no session gives 401, a wrong role 403. State-changing requests must carry the
session's CSRF token in `X-CSRF-Token` (a cross-site page cannot read it); login and
WebSockets, which have no token yet, must come from the same origin when the browser says
where they come from.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

COOKIE = "vb_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
SERVICES_KEY = "escalation_services"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def json_error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


def same_origin(request: web.Request) -> bool:
    """False when the browser says the request comes from another site."""
    origin = request.headers.get("Origin")
    if not origin:
        return request.headers.get("Sec-Fetch-Site", "same-origin") in ("same-origin", "none")
    if origin == "null":
        return False
    return urlsplit(origin).netloc.lower() == request.host.lower()


def services_of(request: web.Request) -> Any:
    return request.app[SERVICES_KEY]


async def current_agent(request: web.Request) -> tuple[Any, dict[str, Any]] | None:
    services = services_of(request)
    session = await services.agents.session(request.cookies.get(COOKIE))
    if session is None:
        return None
    agent = await services.agents.get(session["username"])
    return (agent, session) if agent else None


async def check_session(request: web.Request, roles: tuple[str, ...] = ()) -> web.Response | None:
    """The one check of a console session: None when the request carries a live session of an
    agent with one of `roles` (any role when empty), the session's CSRF token when it changes
    state, and comes from the same origin (request["agent"] and request["session"] are then
    set); else the 401 (no session) or 403 to answer."""
    found = await current_agent(request)
    if found is None:
        return json_error(401, "login required")
    agent, session = found
    if request.method not in SAFE_METHODS:  # before the role: a forged request learns nothing
        token = request.headers.get(CSRF_HEADER, "")
        if not hmac.compare_digest(token.encode(), session["csrf"].encode()):
            return json_error(403, f"missing or wrong {CSRF_HEADER} header")
    if roles and agent.role not in roles:
        return json_error(403, f"{' or '.join(roles)} role required")
    if not same_origin(request):
        return json_error(403, "cross-origin request refused")
    request["agent"], request["session"] = agent, session
    return None


def require(*roles: str) -> Callable[[Handler], Handler]:
    """Decorator: the handler runs only for a session `check_session` accepts (of one of
    `roles`; any role when none are named)."""

    def decorate(handler: Handler) -> Handler:
        async def wrapper(request: web.Request) -> web.StreamResponse:
            refused = await check_session(request, roles)
            return refused if refused is not None else await handler(request)

        wrapper.__name__ = handler.__name__
        wrapper.__doc__ = handler.__doc__
        return wrapper

    return decorate


def set_session_cookie(response: web.StreamResponse, token: str, max_age: int, secure: bool) -> None:
    response.set_cookie(COOKIE, token, max_age=max_age, path="/", httponly=True, samesite="Strict",
                        secure=secure)
