"""Who may read call records and transfer look-ups: a console session with a reading role,
or an API token with the right scope. 401 names neither; 403 says what was missing."""

from __future__ import annotations

import ipaddress
import logging

from aiohttp import web

from escalation.auth import COOKIE, check_session, json_error, services_of

log = logging.getLogger(__name__)

READER_ROLES = ("supervisor", "designer")


def offered_token(request: web.Request, allow_query: bool = False) -> str:
    auth = request.headers.get("Authorization", "")
    token = auth[7:].strip() if auth[:7].lower() == "bearer " else ""
    return token or (request.query.get("token", "") if allow_query else "")


async def authorize(request: web.Request, scope: str, roles: tuple[str, ...] = READER_ROLES,
                    allow_query: bool = False) -> web.Response | None:
    """None when allowed (request["principal"] says who); else the 401/403 to answer."""
    token = offered_token(request, allow_query)
    services = services_of(request)
    if token:
        record, problem = await services.api_tokens.check(token, scope)
        if problem:
            log.warning("%s %s: API token refused from %s: %s", request.method, request.path,
                        request.remote, problem)
            return json_error(403 if record and problem.startswith("token lacks") else 401,
                              "token not accepted")
        request["principal"] = f"token:{record['name']}"
        await services.audit.record(request["principal"], "token_use", request.remote, request.path)
        return None
    if roles and request.cookies.get(COOKIE):
        refused = await check_session(request, roles)
        if refused is None:
            agent = request["agent"]
            request["principal"] = f"agent:{agent.username}"
            await services.audit.record(agent.username, "view", request.remote, request.path)
            return None
        if refused.status == 403:  # a session, but not one that may read this
            return refused
    return json_error(401, "a console session or an API token is required")


def peer_in(request: web.Request, networks: list[str]) -> bool:
    """The direct peer (not a forwarded header) is loopback or in `networks`."""
    try:
        address = ipaddress.ip_address(request.remote or "")
    except ValueError:
        return False
    return address.is_loopback or any(address in ipaddress.ip_network(n, strict=False) for n in networks)
