""""Freeze my account", with the real trained model: CLINC150's freeze_account trains the card
security team's urgent answer (compromised_card). Before, "How do I freeze my account?" was
terminate_account, and a caller who wanted to stop fraud heard how to close the account."""

from __future__ import annotations

import json

from nlu.convert import CLINC, CLINC_TO_OURS
from tests.nlu.test_engine import say


async def test_clinc150s_unseen_freeze_requests_reach_the_security_team(engine, datasets_dir):
    """CLINC150's test split (training reads only its train split): an urgent handoff at once,
    or after a "yes" to the question the bot asks back."""
    assert CLINC_TO_OURS["freeze_account"] == "compromised_card"
    data = json.loads((datasets_dir / CLINC).read_text())
    sentences = [text for text, label in data["test"] if label == "freeze_account"]
    assert len(sentences) == 30
    at_once = after_a_question = 0
    for i, text in enumerate(sentences):
        call = f"freeze-{i}"
        [turn] = await say(engine, call, text)
        if turn.handoff is None and turn.intent == "clarify":
            [turn] = await say(engine, call, "yes")
            after_a_question += turn.handoff is not None and turn.handoff.priority == "urgent"
        else:
            at_once += turn.handoff is not None and turn.handoff.priority == "urgent"
        await engine.end_call(call)
    assert at_once >= 25, (at_once, after_a_question)
    assert at_once + after_a_question >= 28, (at_once, after_a_question)
