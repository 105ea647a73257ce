"""`/console/analytics` (the page) and `/api/analytics` (its numbers, JSON or CSV): supervisors only."""

from __future__ import annotations

import logging
from pathlib import Path

from aiohttp import web

from escalation.analytics import Analytics, Window, report_csv
from escalation.auth import check_session, json_error, require, services_of

log = logging.getLogger(__name__)
STATIC = Path(__file__).with_name("static")
ANALYTICS_KEY = "escalation_analytics"  # an Analytics, set by the bot once its records are open
# Served without a session, like the console's own script: code and style, no data.
ASSETS = {
    "analytics.js": (STATIC / "analytics.js", "application/javascript"),
    "analytics.css": (STATIC / "analytics.css", "text/css"),
    "chart.umd.min.js": (STATIC / "vendor" / "chart.umd.min.js", "application/javascript"),
    "chart.js.LICENSE.md": (STATIC / "vendor" / "chart.js.LICENSE.md", "text/plain"),
}
CSP = "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'"


def html_page(name: str, status: int) -> web.Response:
    """A console page from static/ with the console's security headers."""
    response = web.Response(text=(STATIC / name).read_text(encoding="utf-8"),
                            content_type="text/html", status=status)
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Cache-Control"] = "no-store"
    return response


async def role_page(request: web.Request, role: str, page: str, refusal: str) -> web.Response:
    """`page` for a session with `role`; the console's login form without a session; 403 and
    `refusal` for another role."""
    refused = await check_session(request, (role,))
    if refused is None:
        return html_page(page, 200)
    if refused.status == 401:
        return html_page("console.html", 401)
    return web.Response(status=403, text=refusal)


async def analytics_page(request: web.Request) -> web.Response:
    """The charts for a supervisor; the console's login form without a session; 403 for others."""
    return await role_page(request, "supervisor", "analytics.html", "Analytics are for supervisors.\n")


async def analytics_asset(request: web.Request) -> web.Response:
    found = ASSETS.get(request.match_info["name"])
    if found is None:
        raise web.HTTPNotFound()
    path, kind = found
    return web.Response(body=path.read_bytes(), content_type=kind,
                        headers={"Cache-Control": "max-age=3600"})


@require("supervisor")
async def analytics_report(request: web.Request) -> web.Response:
    """The page's numbers for `?from=YYYY-MM-DD&to=YYYY-MM-DD&channel=`; `&format=csv` for CSV."""
    analytics: Analytics | None = request.app.get(ANALYTICS_KEY)
    if analytics is None:
        return json_error(503, "analytics are not available: the call records are not open")
    try:
        window = Window.from_query(request.query)
    except ValueError as exc:
        return json_error(400, str(exc))
    report = await analytics.report(window)
    if request.query.get("format") != "csv":
        return web.json_response(report)
    await services_of(request).audit.record(
        request["agent"].username, "export", request.remote,
        {"what": "analytics", "query": dict(request.query)})
    response = web.Response(text=report_csv(report), content_type="text/csv")
    name = f"analytics-{window.first}-{window.last}{'-' + window.channel if window.channel else ''}"
    response.headers["Content-Disposition"] = f'attachment; filename="{_safe(name)}.csv"'
    return response


def _safe(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in name)


def add_analytics_routes(app: web.Application) -> None:
    """The page, its assets and its API (the Analytics object comes later, at start-up)."""
    app.router.add_routes([
        web.get("/console/analytics", analytics_page),
        web.get("/console/analytics/static/{name}", analytics_asset),
        web.get("/api/analytics", analytics_report),
    ])
