"""The call core on a virtual clock: the real session, listener, handoff desk, agent bridge
and runner, driven by a scripted caller and dialogue (tests/bot/call/fake_*.py). Seconds of
call time pass in milliseconds, and every path ends in a call record that says how."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.call import prompts
from bot.call.engine import UnavailableEngine
from bot.call.state import CallState
from nlu.engine import Digits
from tests.fake_clock import on_virtual_clock

from .call_rig import Call, Rig, call_rig
from .fake_dialogue import ASK_NUMBER, CARD_ANSWER, GOODBYE, GREETING, PERSON, REPROMPT


async def _listening(call: Call) -> None:
    await call.channel.until(lambda: call.session.state is CallState.LISTENING, what="listening")


async def _greeted(call: Call) -> None:
    await call.channel.until_heard(GREETING)
    await _listening(call)


async def _holding(rig: Rig, call: Call) -> None:
    """Ask for a person and wait until the caller is in the queue, hearing the hold lines."""
    await _greeted(call)
    call.channel.say("can I talk to a person please", 1.2)
    await call.channel.until_heard(PERSON)
    await call.channel.until_heard(prompts.OFFER_CALLBACK)
    assert call.session.state is CallState.HOLDING
    assert await rig.waiting() == [call.call_id]


async def _bridged(rig: Rig, call: Call) -> None:
    await _holding(rig, call)
    await rig.accept(call)
    assert call.session.state is CallState.BRIDGED


async def _outcome(rig: Rig, call: Call) -> tuple[str, str]:
    await call.ended()
    record = (await rig.record(call))["call"]
    return record["outcome"], record["end_reason"]


# ---- the caller and the bot --------------------------------------------------------------
@on_virtual_clock
async def test_a_question_is_answered_and_goodbye_ends_the_call(tmp_path: Path) -> None:
    async with call_rig(tmp_path) as rig:
        call = await rig.call()
        await _greeted(call)
        call.channel.say("when does my new card arrive", 1.5)
        await call.channel.until_heard(CARD_ANSWER)
        await _listening(call)
        call.channel.say("thanks goodbye", 0.8)
        await call.channel.until_heard(GOODBYE)
        assert await _outcome(rig, call) == ("contained", "goodbye")
        turns = (await rig.record(call))["turns"]
    assert [t["user_text"] for t in turns] == ["[call_start]", "when does my new card arrive",
                                              "thanks goodbye"]
    assert turns[1]["latency"]["first_audio_sent"] is not None


@on_virtual_clock
async def test_talking_over_the_bot_stops_it_and_the_caller_is_answered(tmp_path: Path) -> None:
    async with call_rig(tmp_path) as rig:
        call = await rig.call()
        await _greeted(call)
        call.channel.say("when does my new card arrive", 1.5)
        await call.channel.until_heard(CARD_ANSWER)
        before = len(call.channel.sent)
        call.channel.say("no wait I need a new card number", 1.8)
        await call.channel.until(lambda: call.channel.clears > 0, what="barge-in")
        cut_after = len(call.channel.sent) - before
        assert call.session.state in (CallState.THINKING, CallState.LISTENING)
        assert cut_after < len(rig.speech.audio(CARD_ANSWER, "mulaw8k")) - 160 * 10  # cut short
        await call.channel.until(lambda: len(rig.dialogue.heard) == 3, what="the caller's turn")
        await call.channel.hang_up()
        await call.ended()
        events = (await rig.record(call))["events"]
    assert [e["kind"] for e in events].count("barge_in") == 1


@on_virtual_clock
async def test_a_backchannel_does_not_stop_the_bot(tmp_path: Path) -> None:
    async with call_rig(tmp_path) as rig:
        call = await rig.call()
        await _greeted(call)
        call.channel.say("when does my new card arrive", 1.5)
        await call.channel.until_heard(CARD_ANSWER)
        call.channel.say("mhm", 0.3)
        await _listening(call)
        assert call.channel.clears == 0
        await call.channel.hang_up()
        await call.ended()


@on_virtual_clock
async def test_a_silent_caller_is_reprompted_then_told_goodbye(tmp_path: Path) -> None:
    async with call_rig(tmp_path) as rig:
        call = await rig.call()
        await call.channel.until_heard(REPROMPT, timeout_s=30)
        await call.channel.until_heard(prompts.NO_INPUT_GOODBYE, timeout_s=30)
        assert await _outcome(rig, call) == ("contained", "no_input")


@on_virtual_clock
async def test_keypad_digits_are_collected_as_one_number(tmp_path: Path) -> None:
    async with call_rig(tmp_path) as rig:
        call = await rig.call()
        await _greeted(call)
        call.channel.say("I want to give my account number", 1.5)
        await call.channel.until_heard(ASK_NUMBER)
        await _listening(call)
        await call.channel.press("4021#")
        await call.channel.until_heard("Thank you, I have 4021.")
        assert rig.dialogue.heard[-1] == Digits("4021")
        await call.channel.hang_up()
        await call.ended()


# ---- a person: handoff, hold, accept, hand back, agent drop -----------------------------
@on_virtual_clock
async def test_keypad_zero_queues_the_caller_with_hold_lines_and_music(tmp_path: Path) -> None:
    async with call_rig(tmp_path) as rig:
        call = await rig.call()
        await _greeted(call)
        await call.channel.press("0")
        await call.channel.until_heard(prompts.CONNECTING)
        await call.channel.until_heard(prompts.OFFER_CALLBACK)
        assert await rig.waiting() == [call.call_id]
        heard = len(call.channel.sent)
        await asyncio.sleep(3)
        assert len(call.channel.sent) - heard >= 8000 * 2.9  # hold music, not silence
        entry = await rig.escalation.store.get(call.call_id)
        assert entry is not None and entry.context["reason"] == "request_human"
        await call.channel.hang_up()
        assert await _outcome(rig, call) == ("escalated", "caller_hangup")
        assert await rig.waiting() == []  # the caller left the queue


@on_virtual_clock
async def test_agent_takes_the_call_and_audio_flows_both_ways(tmp_path: Path) -> None:
    async with call_rig(tmp_path) as rig:
        call = await rig.call()
        await _bridged(rig, call)
        leg = call.session.agent_leg
        assert leg is not None
        sent = len(call.channel.sent)
        await asyncio.sleep(0.5)
        assert len(call.channel.sent) == sent  # hold audio stopped at once
        await leg.send(b"\x10\x00" * 320 * 10)  # 200 ms of the agent's voice
        assert len(call.channel.sent) > sent  # to the caller (the resampler keeps a little back)
        call.channel.say("hello is anyone there", 1.0)
        heard = await asyncio.wait_for(leg.receive().__anext__(), 1.0)
        assert heard  # the caller's audio, at 16 kHz for the console
        await rig.escalation.hang_up(call.call_id, rig_agent())
        await call.channel.until_heard(prompts.GOODBYE)
        assert await _outcome(rig, call) == ("escalated", "agent_hangup")


@on_virtual_clock
async def test_agent_hands_the_caller_back_to_the_bot(tmp_path: Path) -> None:
    async with call_rig(tmp_path) as rig:
        call = await rig.call()
        await _bridged(rig, call)
        await rig.escalation.hand_back(call.call_id, rig_agent())
        await call.channel.until_heard(prompts.HANDED_BACK)
        await _listening(call)
        assert call.session.agent_leg is None
        call.channel.say("when does my new card arrive", 1.5)
        await call.channel.until_heard(CARD_ANSWER)
        await call.channel.hang_up()
        await call.ended()


@on_virtual_clock
async def test_an_agent_leg_that_drops_means_an_apology_and_the_head_of_the_queue(tmp_path: Path) -> None:
    async with call_rig(tmp_path) as rig:
        call = await rig.call()
        await _bridged(rig, call)
        leg = call.session.agent_leg
        await rig.escalation.release(call.call_id, "agent_disconnected")  # the console's socket died
        await call.channel.until_heard(prompts.APOLOGY)
        assert leg is not None and leg.closed and call.session.state is CallState.HOLDING
        assert await rig.waiting() == [call.call_id]
        marks = call.channel.sent.count(b"LINE")
        await call.channel.until(lambda: call.channel.sent.count(b"LINE") > marks + 1,
                                 what="hold announcements again")
        await rig.accept(call)  # and a person can still take the call
        assert call.session.state is CallState.BRIDGED
        await call.channel.hang_up()
        assert await _outcome(rig, call) == ("escalated", "caller_hangup")


@on_virtual_clock
async def test_keypad_1_while_holding_books_a_callback(tmp_path: Path) -> None:
    async with call_rig(tmp_path) as rig:
        call = await rig.call()
        await _holding(rig, call)
        await call.channel.press("1")
        await call.channel.until_heard(prompts.CALLBACK_BOOKED)
        assert await _outcome(rig, call) == ("escalated", "callback")
        callbacks = await rig.escalation.store.list_records("callback")
    assert [c["call_id"] for c in callbacks] == [call.call_id]


@on_virtual_clock
async def test_a_transfer_target_sends_the_call_there(tmp_path: Path) -> None:
    async with call_rig(tmp_path, transfer_target="+15550009999") as rig:
        call = await rig.call()
        call.channel.transfer_result = True
        await _greeted(call)
        await call.channel.press("0")
        await call.channel.until_heard(prompts.CONNECTING)
        assert await _outcome(rig, call) == ("escalated", "transferred")
        assert call.channel.transfers == ["+15550009999"]


# ---- no silent failure --------------------------------------------------------------------
@pytest.mark.parametrize("how", ["mid_reply", "speech_down"])
@on_virtual_clock
async def test_a_reply_that_cannot_be_said_means_the_apology_and_the_queue(tmp_path: Path, how: str) -> None:
    async with call_rig(tmp_path) as rig:
        call = await rig.call()
        await _greeted(call)
        if how == "mid_reply":
            rig.speech.fail_on.add(CARD_ANSWER)
        else:
            rig.speech.broken = True  # the apology still plays: it was rendered at start-up
        call.channel.say("when does my new card arrive", 1.5)
        await call.channel.until_heard(prompts.APOLOGY)
        await call.channel.until(lambda: call.session.state is CallState.HOLDING, what="holding")
        await call.channel.until(lambda: call.session.queued, what="queued")
        assert await rig.waiting() == [call.call_id]
        entry = await rig.escalation.store.get(call.call_id)
        assert entry is not None and entry.context["reason"] == "technical_error"
        await call.channel.hang_up()
        assert await _outcome(rig, call) == ("escalated", "caller_hangup")


@on_virtual_clock
async def test_a_handoff_that_breaks_means_the_apology_and_the_queue(tmp_path: Path) -> None:
    async with call_rig(tmp_path, transfer_target="+15550009999") as rig:
        call = await rig.call()
        call.channel.transfer_result = RuntimeError("PBX said no")
        await _greeted(call)
        await call.channel.press("0")
        await call.channel.until_heard(prompts.APOLOGY)
        await call.channel.until(lambda: call.session.queued, what="queued")
        assert await rig.waiting() == [call.call_id]
        await call.channel.until_heard(prompts.OFFER_CALLBACK)
        await rig.accept(call)
        assert call.session.state is CallState.BRIDGED
        await call.channel.hang_up()
        await call.ended()


@on_virtual_clock
async def test_a_broken_handoff_with_no_queue_means_the_apology_and_a_callback(tmp_path: Path) -> None:
    async with call_rig(tmp_path, transfer_target="+15550009999") as rig:
        call = await rig.call()
        call.channel.transfer_result = RuntimeError("PBX said no")
        await _greeted(call)
        await rig.break_queue_store()
        await call.channel.press("0")
        await call.channel.until_heard(prompts.APOLOGY)
        await call.channel.until_heard(prompts.STORE_DOWN)
        assert await _outcome(rig, call) == ("escalated", "callback")
        callbacks = await rig.escalation.store.list_records("callback")
    assert [c["call_id"] for c in callbacks] == [call.call_id]


@on_virtual_clock
async def test_no_recognizer_means_the_apology_and_the_queue(tmp_path: Path) -> None:
    async with call_rig(tmp_path) as rig:
        rig.recognizers.fail_open = True
        call = await rig.call()
        await call.channel.until_heard(prompts.APOLOGY)
        await call.channel.until(lambda: call.session.queued, what="queued")
        assert not call.channel.heard(GREETING)
        await call.channel.press("1")  # the keypad still works
        await call.channel.until_heard(prompts.CALLBACK_BOOKED)
        assert await _outcome(rig, call) == ("escalated", "callback")


@on_virtual_clock
async def test_no_dialogue_model_means_the_one_apology_and_the_queue(tmp_path: Path) -> None:
    async with call_rig(tmp_path) as rig:
        rig.services.engine = UnavailableEngine("no trained model")
        call = await rig.call()
        await call.channel.until_heard(prompts.APOLOGY)
        await call.channel.until(lambda: call.session.queued, what="queued")
        await call.channel.hang_up()
        assert await _outcome(rig, call) == ("escalated", "caller_hangup")
        turns = (await rig.record(call))["turns"]
    assert turns[0]["bot_text"] == prompts.APOLOGY and turns[0]["handoff"]["reason"] == "technical_error"


# ---- the bot ends the call ------------------------------------------------------------------
@on_virtual_clock
async def test_the_time_limit_ends_the_call_politely(tmp_path: Path) -> None:
    async with call_rig(tmp_path) as rig:
        rig.settings.calls.max_call_s = 10
        call = await rig.call()
        await _greeted(call)
        await call.channel.until_heard(prompts.MAX_CALL_GOODBYE, timeout_s=15)
        assert await _outcome(rig, call) == ("abandoned", "max_call_length")


@on_virtual_clock
async def test_shutdown_while_holding_says_goodbye_and_books_a_callback(tmp_path: Path) -> None:
    async with call_rig(tmp_path) as rig:
        call = await rig.call()
        await _holding(rig, call)
        await rig.registry.drain(0.1)
        await call.channel.until_heard(prompts.SHUTDOWN_GOODBYE)
        assert await _outcome(rig, call) == ("escalated", "server_shutdown")
        callbacks = await rig.escalation.store.list_records("callback")
    assert [c["call_id"] for c in callbacks] == [call.call_id]


# ---- a hang-up in every state ----------------------------------------------------------------
async def _into(rig: Rig, state: CallState) -> Call:
    """A call brought into `state` (and left there while the caller hangs up)."""
    if state is CallState.GREETING:
        rig.recognizers.open_s = 5.0
    call = await rig.call()
    if state is CallState.GREETING:
        await asyncio.sleep(1.0)
    elif state in (CallState.LISTENING, CallState.THINKING, CallState.SPEAKING):
        await _greeted(call)
        if state is not CallState.LISTENING:
            rig.dialogue.think_s = 5.0 if state is CallState.THINKING else 0.05
            call.channel.say("when does my new card arrive", 1.5)
            await call.channel.until(lambda: call.session.state is state, what=state.value)
    elif state is CallState.HOLDING:
        await _holding(rig, call)
    elif state is CallState.BRIDGED:
        await _bridged(rig, call)
    elif state is CallState.ENDING:
        await _holding(rig, call)
        await call.channel.press("1")
        await call.channel.until(lambda: call.session.state is state, what=state.value)
    assert call.session.state is state
    return call


@pytest.mark.parametrize("state", [s for s in CallState if s is not CallState.ENDED],
                         ids=lambda s: s.value)
@on_virtual_clock
async def test_a_hangup_in_any_state_ends_the_call_cleanly(tmp_path: Path, state: CallState) -> None:
    async with call_rig(tmp_path) as rig:
        call = await _into(rig, state)
        leg = call.session.agent_leg
        await call.channel.hang_up()
        await call.ended(timeout_s=10)
        record = (await rig.record(call))["call"]
        assert call.session.state is CallState.ENDED
        assert record["end_reason"] == "caller_hangup" and record["ended_at"] is not None
        assert len(rig.registry) == 0 and rig.dialogue.ended == [call.call_id]
        assert all(r.closed for r in rig.recognizers.opened)
        if state is CallState.HOLDING:
            assert await rig.waiting() == []  # left the queue
        if leg is not None:
            assert leg.closed


def rig_agent():
    from .call_rig import AGENT

    return AGENT
