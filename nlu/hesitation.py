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

A short goodbye without a word of farewell is a fragment too: "later on", "over there" and
"on the way" were goodbyes (0.92-1.00) and hung up on the caller, the costliest mistake a
misheard half-sentence can make. A caller who means to go says so ("bye", "thanks", "that's
all", "see you"), and a longer goodbye ("it was nice talking to you") is taken as said.
"""

from __future__ import annotations

import re
from typing import Any

from nlu.clarify import FALLBACK_INTENT
from nlu.clarify_answer import GOODBYE

HESITATE = "hesitate"
GO_ON = "utter_go_on"
GO_ON_FALLBACK = "Go on, I'm listening."  # when the designers removed utter_go_on: never silence
IN_A_ROW = 3  # the hesitation that is taken as a turn not understood
FORMS_READING_THEIR_ANSWER = frozenset({"clarify_form", "correction_form"})
SHORT = 3  # words: a goodbye this short needs a word of farewell
FAREWELL = re.compile(
    r"\b(bye|goodbye|bye-bye|byebye|buh-?bye|cheers|thanks|thank you|ta|good ?night|farewell|"
    r"sayonara|ciao|adios|see (you|ya)|take care|later(?! on)|that's (all|everything|it)|"
    r"that is all|all done|i'm done|i am done|hang up|signing off|(got|have|need) to go|"
    r"gotta go|regards)\b"
)
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


def as_hesitation_if_fragment(parse: dict[str, Any]) -> dict[str, Any]:
    """The parse, or, for a short goodbye without a word of farewell, the same parse as the
    hesitation it is (see the module's docstring)."""
    intent = parse.get("intent") or {}
    text = str(parse.get("text") or "").casefold().replace("\u2019", "'")
    if intent.get("name") != GOODBYE or len(text.split()) > SHORT or FAREWELL.search(text):
        return parse
    return {**parse, "intent": {**intent, "name": HESITATE}}


def not_understood(parse: dict[str, Any]) -> dict[str, Any]:
    """The same parse as a turn the NLU could not understand (what its fallback says)."""
    return {**parse, "intent": {**parse["intent"], "name": FALLBACK_INTENT}}


def only_fillers(text: str) -> bool:
    """Whether `text` is nothing but filler sounds ("um", "uh well")."""
    return set(re.findall(r"[a-z']+", text.casefold())) <= FILLERS
