"""Requests between bot machines: a signature opens one action on one call for one agent,
for a short while, and only with the shared secret."""

from __future__ import annotations

from bot.cluster import peer_auth

SECRET = "a-long-shared-secret-of-this-cluster"


def _header(**kw) -> str:
    args = {"secret": SECRET, "action": "audio", "call_id": "CA1", "agent_id": "ana", "now": 1000.0, **kw}
    return peer_auth.sign(args["secret"], args["action"], args["call_id"], args["agent_id"], args["now"])[peer_auth.HEADER]


def test_a_signature_opens_exactly_what_it_was_made_for() -> None:
    header = _header()
    assert peer_auth.check(SECRET, header, "audio", "CA1", "ana", now=1010.0)
    assert not peer_auth.check(SECRET, header, "audio", "CA2", "ana", now=1010.0)  # another call
    assert not peer_auth.check(SECRET, header, "audio", "CA1", "bob", now=1010.0)  # another agent
    assert not peer_auth.check(SECRET, header, "hang_up", "CA1", "ana", now=1010.0)  # another action
    assert not peer_auth.check(SECRET, header, "audio", "CA1", "ana", now=1000.0 + peer_auth.VALID_S + 1)


def test_without_the_secret_nothing_is_accepted() -> None:
    assert not peer_auth.check(SECRET, _header(secret="another-cluster-secret"), "audio", "CA1", "ana", now=1010.0)
    assert not peer_auth.check("", _header(), "audio", "CA1", "ana", now=1010.0)  # relay off
    assert not peer_auth.check(SECRET, "", "audio", "CA1", "ana", now=1010.0)
    expires, mac = _header().split(".")
    assert not peer_auth.check(SECRET, f"{int(expires) + 3600}.{mac}", "audio", "CA1", "ana", now=1010.0)
