"""A representative subset of the voice scenarios, as real calls through the same runner as
`voicebot test voice` (the full set: `voicebot test voice`, about 7 minutes)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.voice_tests.report import scenario_text, write_junit
from bot.voice_tests.runner import run_scenarios
from bot.voice_tests.scenario import load_scenario

pytestmark = pytest.mark.slow

VOICE_DIR = Path(__file__).resolve().parents[2] / "nlu" / "tests" / "voice"
SUBSET = [
    "faq_card_arrival",  # FAQ, goodbye hangs up
    "complaint_happy_path",  # the form, keypad digits, read-back, ticket
    "bargein_faq",  # talking over an answer
    "silence_reprompt",  # no input, then a question
    "escalate_keypad_zero",  # keypad 0 -> person
    "escalate_hold_callback_keypad",  # queue, hold, keypad 1 -> callback
    "noise_15db",  # a noisy line (asks for a person at 15 dB SNR)
    "out_of_scope_then_faq",  # declined once, then answered
    "complaint_without_the_number",  # "I don't have it", "I'm not sure" (dont_know)
    "not_sure_at_anything_else",  # "I'm not sure" does not hang up
    "account_balance_then_person",  # a balance: where to look, then a person
    "fragment_is_not_a_goodbye",  # "later on" is not a goodbye
    "complaint_left_before_the_read_back",  # filed as the call ends, marked not confirmed
    "complaint_left_for_a_person",  # ... and marked handed over when a person was asked for
]


async def test_representative_voice_scenarios_pass(bot_server, tmp_path: Path) -> None:
    scenarios = [load_scenario(VOICE_DIR / f"{name}.yml") for name in SUBSET]
    results = await run_scenarios(scenarios, bot_server.ws_url, bot_server.token, concurrency=4)
    report = "\n".join(scenario_text(r) for r in results)
    assert all(r.passed for r in results), report
    # Every answered turn was timed, and the record matched each caller turn.
    for result in results:
        assert result.outcome is not None, result.scenario.id
        for turn in result.turns[1:]:
            if turn.expect.get("intent"):
                assert turn.latency_ms is not None and turn.bot_turns, (result.scenario.id, turn.label)
    junit = tmp_path / "voice.xml"
    write_junit(results, junit, 0.0)
    assert junit.read_text().count("<testcase") == len(SUBSET)


# Asking back (nlu/README.md): the clarifying questions, a hesitation at one, a second miss,
# and the plain FAQ questions that must still be answered at once (nlu/tests/answer_at_once.yml).
ASKING_BACK = ["clarify_either_or", "clarify_urgent_confirm", "hesitate_at_the_question",
               "escalate_low_confidence"]


async def test_asking_back_and_plain_faq_scenarios_pass(bot_server) -> None:
    names = ASKING_BACK + sorted(p.stem for p in VOICE_DIR.glob("faq_*.yml"))
    assert len(names) >= 8
    scenarios = [load_scenario(VOICE_DIR / f"{name}.yml") for name in names]
    results = await run_scenarios(scenarios, bot_server.ws_url, bot_server.token, concurrency=4)
    assert all(r.passed for r in results), "\n".join(scenario_text(r) for r in results)
