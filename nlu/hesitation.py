"""A hesitation is not a turn: "um", "let me think", "I was just going to".

A caller who hesitates or pauses mid-sentence has not answered anything, yet the voice
activity detector ends the turn at the pause. Taken as a turn, such fragments were read as
whatever they resembled: "uh" a confident yes (a yes to "Has your card been lost or
stolen?", or to a complaint's read-back), "I was just going to" a goodbye that hung up.

The NLU learns these as the `hesitate` intent (data/nlu/phone.yml). The engine answers a
hesitation itself with `utter_go_on` and never hands it to the dialogue, so the question
the caller was answering, a form's slot, a read-back, stays open exactly as it was: no
rule has to know about hesitations, and the next real answer lands where it would have.
A line that yields nothing but fragments must still reach a person: the third hesitation in
a row is a turn not understood (the low-confidence path: asked to rephrase, then a person).

Not in the forms that read the answer themselves: there a short answer that sounds like a
fragment ("the subject" to "which part should I change?", "the second" to an either/or
question) is the answer, and the form hears it; a real "um" there gets the question again.
"""

from __future__ import annotations

import re
from typing import Any

from nlu.clarify import FALLBACK_INTENT

HESITATE = "hesitate"
GO_ON = "utter_go_on"
GO_ON_FALLBACK = "Go on, I'm listening."  # when the designers removed utter_go_on: never silence
IN_A_ROW = 3  # the hesitation that is taken as a turn not understood
FORMS_READING_THEIR_ANSWER = frozenset({"clarify_form", "correction_form"})
# Sounds that say nothing at all; a hesitation with more words may be a misread answer.
FILLERS = frozenset({"um", "uh", "er", "erm", "hmm", "umm", "uhh", "mm", "ah", "oh", "well", "so", "and"})


def is_hesitation(parse: dict[str, Any]) -> bool:
    """Whether the NLU's best reading of a turn is a hesitation."""
    return (parse.get("intent") or {}).get("name") == HESITATE


def go_on_text(domain: Any) -> str:
    """The designers' words for "go on" (`utter_go_on` in the domain)."""
    variants = (getattr(domain, "responses", None) or {}).get(GO_ON) or []
    text = variants[0].get("text") if variants else None
    return str(text) if text else GO_ON_FALLBACK


def not_understood(parse: dict[str, Any]) -> dict[str, Any]:
    """The same parse as a turn the NLU could not understand (what its fallback says)."""
    return {**parse, "intent": {**parse["intent"], "name": FALLBACK_INTENT}}


def only_fillers(text: str) -> bool:
    """Whether `text` is nothing but filler sounds ("um", "uh well")."""
    return set(re.findall(r"[a-z']+", text.casefold())) <= FILLERS
