"""Call states: the allowed moves, and a clear error for any other."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.call.state import ALLOWED, CallState, IllegalTransition
from escalation.bridge import CallGone
from tests.fake_clock import on_virtual_clock

from .call_rig import call_rig


def test_every_state_may_end_and_nothing_follows_ended() -> None:
    assert set(ALLOWED) == set(CallState)
    for state in CallState:
        if state is not CallState.ENDED:
            assert CallState.ENDED in ALLOWED[state]
    assert ALLOWED[CallState.ENDED] == frozenset()
    assert ALLOWED[CallState.ENDING] == {CallState.ENDED}


@pytest.mark.parametrize(("now", "then"), [
    (CallState.GREETING, CallState.BRIDGED),
    (CallState.LISTENING, CallState.HOLDING),
    (CallState.ENDING, CallState.LISTENING),
    (CallState.ENDED, CallState.GREETING),
])
def test_a_move_the_design_does_not_allow_raises_a_clear_error(now: CallState, then: CallState) -> None:
    with pytest.raises(IllegalTransition, match=f"from {now.value} to {then.value}"):
        now.to(then)


def test_allowed_moves_return_the_new_state() -> None:
    assert CallState.THINKING.to(CallState.HOLDING) is CallState.HOLDING
    assert CallState.BRIDGED.to(CallState.LISTENING) is CallState.LISTENING


@on_virtual_clock
async def test_the_session_refuses_to_bridge_a_call_that_is_not_holding(tmp_path: Path) -> None:
    async with call_rig(tmp_path) as rig:
        call = await rig.call()
        before = call.session.state
        with pytest.raises(IllegalTransition, match=f"from {before.value} to bridged"):
            call.session.bridge(object())  # type: ignore[arg-type]
        assert call.session.state is before and call.session.agent_leg is None  # unchanged
        await call.channel.hang_up()
        await call.ended()
        with pytest.raises(CallGone):  # the console is told the caller is gone
            await rig.control.accept(call.call_id, "alice")
