"""The deployment check: weak secrets that stop `voicebot serve` on a public address, and the
OK / WARN list `voicebot doctor` prints for every security-relevant setting."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

from bot.config import Settings
from bot.security.keys import keys_path

# Values seen in examples and shipped defaults; a secret equal to one of these is no secret.
KNOWN_WEAK = {"change-me", "changeme", "change_me", "secret", "password", "passw0rd", "test",
              "admin", "default", "example", "token", "letmein", "123456", "12345678", "voicebot",
              "e2e-secret", "bench-secret", "s3cret", "qwerty", "none", "null"}
MIN_SECRET_CHARS = 16


@dataclass(frozen=True)
class Finding:
    ok: bool
    setting: str
    why: str

    def line(self) -> str:
        return f"{'OK  ' if self.ok else 'WARN'}  {self.setting:<28} {self.why}"


def is_loopback_host(host: str) -> bool:
    if host in ("localhost", ""):
        return host == "localhost"
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a name: it may resolve to anything


def _weak(value: str) -> bool:
    return value.strip().lower() in KNOWN_WEAK or len(value.strip()) < MIN_SECRET_CHARS


def weak_secrets(settings: Settings) -> list[str]:
    """One line per configured secret that must not face a network, naming the setting."""
    problems = []
    secret = settings.calls.stream_secret
    if secret and _weak(secret):
        problems.append(f"calls.stream_secret is a weak value (a known default or under "
                        f"{MIN_SECRET_CHARS} characters); remove it to use the generated key")
    token = settings.calls.twilio_auth_token
    if token and token.strip().lower() in KNOWN_WEAK:
        problems.append("calls.twilio_auth_token is a placeholder, not your Twilio auth token")
    peer = settings.cluster.peer_secret
    if peer and _weak(peer):
        problems.append(f"cluster.peer_secret is a weak value (a known default or under "
                        f"{MIN_SECRET_CHARS} characters): it lets one machine speak into another's calls")
    password = urlsplit(settings.escalation.redis_url).password
    if settings.escalation.store == "redis" and password is not None and \
            (not password or password.lower() in KNOWN_WEAK):
        problems.append("escalation.redis_url has an empty or known weak password")
    return problems


def _public(settings: Settings) -> bool:
    return not is_loopback_host(settings.server.host) or bool(settings.server.public_url)


def _beyond_loopback(networks: list[str]) -> list[str]:
    return [n for n in networks if not ipaddress.ip_network(n, strict=False).is_loopback]


def findings(settings: Settings) -> list[Finding]:
    """Every security-relevant setting with OK or WARN and why."""
    public = _public(settings)
    out = [Finding(not public or not weak_secrets(settings), "server.host",
                   f"{settings.server.host}: " + ("reachable from other machines" if public
                                                  else "this machine only"))]
    secret = settings.calls.stream_secret
    if secret:
        out.append(Finding(not _weak(secret), "calls.stream_secret",
                           "weak: a known default or too short" if _weak(secret) else "set in the configuration"))
    else:
        path = keys_path(settings)
        loose = path.exists() and path.stat().st_mode & 0o077
        out.append(Finding(not loose, "calls.stream_secret",
                           f"generated key in {path}" + (" is readable by others: chmod 600" if loose else
                                                        " (mode 0600)" if path.exists() else
                                                        " (made at first start, mode 0600)")))
    signed = bool(settings.calls.twilio_auth_token)
    out.append(Finding(signed or not public, "calls.twilio_auth_token",
                       "Twilio signatures checked" if signed else
                       "signature checking off on a public address: anyone can start calls"
                       if public else "signature checking off (fine on this machine only)"))
    https = settings.server.public_url.startswith("https://")
    secure = settings.escalation.cookie_secure
    out.append(Finding(secure or not public, "escalation.cookie_secure",
                       "session cookie sent over HTTPS only" if secure else
                       ("off behind HTTPS: set it true" if https else
                        "off and no TLS: console logins cross the network in clear") if public
                       else "off (fine on this machine only)"))
    out.append(_redis_finding(settings))
    wide = _beyond_loopback(settings.calls.audiosocket_allow) if settings.calls.audiosocket_port else []
    out.append(Finding(not wide, "calls.audiosocket_allow",
                       f"AudioSocket has no authentication and is open to {', '.join(wide)}" if wide
                       else "AudioSocket off" if not settings.calls.audiosocket_port
                       else "loopback only"))
    everyone = [n for n in settings.server.metrics_allow if ipaddress.ip_network(n).prefixlen == 0]
    out.append(Finding(not everyone, "server.metrics_allow",
                       "metrics open to the world" if everyone else
                       f"metrics from loopback{', ' + ', '.join(_beyond_loopback(settings.server.metrics_allow)) if _beyond_loopback(settings.server.metrics_allow) else ''} only"))
    out.append(Finding(True, "tracker store", "Rasa's in-memory tracker store: no PostgreSQL/Redis to secure"))
    return out


def _redis_finding(settings: Settings) -> Finding:
    if settings.escalation.store != "redis":
        return Finding(True, "escalation.redis_url", "not used (store: sqlite)")
    url = urlsplit(settings.escalation.redis_url)
    local = is_loopback_host(url.hostname or "")
    problems = [p for p, bad in (("no password", not url.password), ("no TLS (rediss://)", url.scheme != "rediss"))
                if bad]
    if local or not problems:
        return Finding(True, "escalation.redis_url", "loopback" if local else "password and TLS")
    return Finding(False, "escalation.redis_url", f"{url.hostname}: {' and '.join(problems)} beyond loopback")
