"""Security headers on every HTTP response (HTML and JSON alike); a page's own CSP is kept."""

from __future__ import annotations

from aiohttp import web

# For responses that are not pages (JSON, CSV, XML, text): nothing may load or frame them.
DEFAULT_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}


async def add_security_headers(request: web.Request, response: web.StreamResponse) -> None:
    if response.status == 101:  # a WebSocket upgrade carries no content
        return
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    response.headers.setdefault("Content-Security-Policy", DEFAULT_CSP)


def page_csp(nonce: str) -> str:
    """The CSP of a page whose inline script and style carry `nonce`."""
    return (f"default-src 'self'; script-src 'nonce-{nonce}' blob:; style-src 'nonce-{nonce}'; "
            "connect-src 'self'; img-src 'self' data:; media-src 'self' blob:; "
            "frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
