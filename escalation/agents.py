"""Console agents: scrypt-hashed passwords, roles, presence, and login sessions."""

from __future__ import annotations

import asyncio
import base64
import functools
import hashlib
import hmac
import re
import secrets
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from escalation.stores import EscalationStore

ROLES = ("agent", "supervisor", "designer")  # designers read call records, take no calls
PRESENCE = ("available", "busy", "away", "offline")
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,31}$")
# scrypt parameters: 16 MiB and ~50 ms per check on these machines (OWASP's minimum is N=2^17
# with r=8 for p=1 at 128 MiB; N=2^14 keeps logins cheap on a shared 2-core box).
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1


class AgentError(ValueError):
    """A bad agent name, role, password or presence; the message says which."""


def hash_password(password: str) -> str:
    """A self-describing scrypt hash: scrypt$N$r$p$salt$hash (base64)."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32)
    b64 = base64.b64encode
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${b64(salt).decode()}${b64(digest).decode()}"


def verify_password(password: str, stored: str) -> bool:
    """Constant-time check of a password against `hash_password` output."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        got = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r),
                             p=int(p), dklen=len(expected))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, expected)


@functools.lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """Checked against for unknown names, so a login takes as long whether the name exists or not."""
    return hash_password(secrets.token_hex(8))


@dataclass
class Agent:
    username: str
    role: str = "agent"
    display_name: str = ""
    password_hash: str = ""
    presence: str = "offline"
    skills: list[str] = field(default_factory=list)
    created_at: float = field(default_factory=time.time)

    def public(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("password_hash")
        return data


class AgentDirectory:
    """Agents and sessions kept as records in the escalation store (shared with Redis)."""

    def __init__(self, store: EscalationStore, session_ttl_s: float = 8 * 3600,
                 idle_timeout_s: float = 1800.0):
        self.store = store
        self.session_ttl_s = session_ttl_s
        self.idle_timeout_s = idle_timeout_s

    async def add(self, username: str, password: str, role: str = "agent",
                  display_name: str = "", skills: list[str] | None = None) -> Agent:
        if not USERNAME.match(username):
            raise AgentError("username: 2-32 characters, lower-case letters, digits, '.', '_' or '-'")
        if role not in ROLES:
            raise AgentError(f"role must be one of {', '.join(ROLES)}")
        if len(password) < 8:
            raise AgentError("password: at least 8 characters")
        if await self.store.get_record("agent", username):
            raise AgentError(f"agent {username!r} exists already")
        loop = asyncio.get_running_loop()
        hashed = await loop.run_in_executor(None, hash_password, password)
        agent = Agent(username, role, display_name or username, hashed, skills=list(skills or []))
        await self.store.put_record("agent", username, asdict(agent))
        return agent

    async def get(self, username: str) -> Agent | None:
        data = await self.store.get_record("agent", username)
        return Agent(**data) if data else None

    async def list(self) -> list[Agent]:
        return [Agent(**d) for d in await self.store.list_records("agent")]

    async def remove(self, username: str) -> bool:
        for session in await self.store.list_records("session"):
            if session.get("username") == username:
                await self.store.delete_record("session", session["id"])
        return await self.store.delete_record("agent", username)

    async def set_presence(self, username: str, presence: str) -> Agent | None:
        if presence not in PRESENCE:
            raise AgentError(f"presence must be one of {', '.join(PRESENCE)}")
        agent = await self.get(username)
        if agent is None:
            return None
        agent.presence = presence
        await self.store.put_record("agent", username, asdict(agent))
        return agent

    async def authenticate(self, username: str, password: str) -> Agent | None:
        """The agent when the password matches; the same work is done for unknown names."""
        agent = await self.get(username)
        loop = asyncio.get_running_loop()
        ok = await loop.run_in_executor(
            None, verify_password, password, agent.password_hash if agent else _dummy_hash()
        )
        return agent if agent and ok else None

    async def start_session(self, username: str) -> tuple[str, dict[str, Any]]:
        """A new random session token (only its hash is stored) and the session record."""
        token = secrets.token_urlsafe(32)
        now = time.time()
        for old in await self.store.list_records("session"):  # keep the table from growing
            if old["expires_at"] < now:
                await self.store.delete_record("session", old["id"])
        session = {
            "id": hashlib.sha256(token.encode()).hexdigest(),
            "username": username,
            "csrf": secrets.token_urlsafe(24),
            "created_at": now,
            "last_seen": now,
            "expires_at": now + self.session_ttl_s,
        }
        await self.store.put_record("session", session["id"], session)
        return token, session

    async def session(self, token: str | None) -> dict[str, Any] | None:
        if not token:
            return None
        sid = hashlib.sha256(token.encode()).hexdigest()
        session = await self.store.get_record("session", sid)
        if session is None:
            return None
        now = time.time()
        idle = now - session.get("last_seen", session["created_at"])
        if session["expires_at"] < now or idle > self.idle_timeout_s:
            await self.store.delete_record("session", sid)
            return None
        if idle > 30:  # written at most every 30 s, not on every request
            await self.touch(session, now)
        return session

    async def touch(self, session: dict[str, Any], now: float | None = None) -> None:
        """The session was used now (an open console counts: its live socket touches it)."""
        session["last_seen"] = time.time() if now is None else now
        await self.store.put_record("session", session["id"], session)

    async def end_session(self, token: str) -> None:
        await self.store.delete_record("session", hashlib.sha256(token.encode()).hexdigest())
