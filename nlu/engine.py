"""The dialogue engine the call session talks to: caller input in, a BotTurn out.

`RasaEngine` runs a trained Rasa 3.6 model in this process. All Rasa work (NLU inference,
policies, custom actions) happens on one dedicated thread with its own event loop
(`nlu/rasa_runtime.py`), so the bot's event loop never waits on it. Trackers live in Rasa's
in-memory tracker store, one per call, removed when the call ends (a multi-node deployment
would configure Rasa's Redis or SQL tracker store instead). Importing this module does not import Rasa.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

from nlu.complaint_ticket import left_ticket
from nlu.hesitation import (
    FORMS_READING_THEIR_ANSWER,
    HESITATE,
    IN_A_ROW,
    as_hesitation_if_fragment,
    go_on_text,
    is_hesitation,
    not_understood,
)
from nlu.rasa_runtime import RasaThread, load_agent
from nlu.readings import best_reading, readings_help, understood
from nlu.trackers import drop_tracker, forget_tracker

logger = logging.getLogger(__name__)

Priority = Literal["urgent", "complaint", "normal"]
Expect = Literal["text", "digits", "yes_no"]
TECHNICAL_ERROR = "technical_error"  # the handoff reason of a turn the dialogue could not take
NO_INPUT = "Sorry, I didn't hear anything."
HIDDEN_SLOTS = {"requested_slot", "session_started_metadata", "correction_field"}
SAFE_DIGITS = re.compile(r"[^0-9*#]")
WARM_UP_SENDER = "voicebot-warm-up"  # a conversation no caller has: its tracker is dropped


@dataclass(frozen=True)
class Handoff:
    reason: str
    priority: Priority


@dataclass
class BotTurn:
    texts: list[str]
    intent: str | None = None
    confidence: float = 0.0
    slots: dict[str, Any] = field(default_factory=dict)
    handoff: Handoff | None = None
    end_call: bool = False
    ticket: dict[str, Any] | None = None  # complaint ticket (incl. reference) to persist
    expect: Expect = "text"
    heard: str | None = None  # another reading of the caller's speech, understood where the first was not
    requested_slot: str | None = None  # the slot a form asks for next (recordings pause for sensitive ones)


@dataclass
class Text:
    text: str
    # Other readings of the same speech (the recognizer's beam), asked for only when the
    # NLU cannot understand `text`.
    alternatives: Callable[[], Awaitable[list[str]]] | None = field(default=None, compare=False, repr=False)


@dataclass
class Digits:
    digits: str


@dataclass
class Event:
    name: Literal["call_start", "no_input"]


UserInput = Text | Digits | Event


class DialogueEngine(Protocol):
    async def handle(self, call_id: str, user_input: UserInput) -> BotTurn: ...

    async def unfinished_complaint(self, call_id: str) -> dict[str, Any] | None: ...

    async def end_call(self, call_id: str) -> None: ...


def technical_error_turn() -> BotTurn:
    """The dialogue failed: a person for the caller. No words: the call says its own apology
    (one wording, pre-rendered, in bot/call/prompts.py)."""
    return BotTurn([], handoff=Handoff(TECHNICAL_ERROR, "normal"))


def turn_from_messages(messages: list[dict[str, Any]]) -> BotTurn:
    """Fold Rasa's output messages (text and custom JSON) into a BotTurn."""
    turn = BotTurn(texts=[])
    for message in messages:
        if message.get("text"):
            turn.texts.append(str(message["text"]))
        custom = message.get("custom") or {}
        if not isinstance(custom, dict):
            continue
        if isinstance(custom.get("handoff"), dict):
            data = custom["handoff"]
            priority = data.get("priority", "normal")
            if priority not in ("urgent", "complaint", "normal"):
                priority = "normal"
            turn.handoff = Handoff(str(data.get("reason", "unspecified")), priority)
        if custom.get("end_call"):
            turn.end_call = True
        if isinstance(custom.get("ticket"), dict):
            turn.ticket = dict(custom["ticket"])
        if custom.get("expect") in ("text", "digits", "yes_no"):
            turn.expect = custom["expect"]
    return turn


@dataclass
class _CallState:
    last_texts: list[str] = field(default_factory=list)
    last_expect: Expect = "text"
    hesitations: int = 0  # in a row, answered with "go on" (nlu/hesitation.py)


class RasaEngine:
    """DialogueEngine backed by an in-process Rasa agent; see the module docstring."""

    def __init__(self, agent: Any, runner: RasaThread, timeout_s: float,
                 alternatives_timeout_s: float = 2.0) -> None:
        self._agent = agent
        self._runner = runner
        self.timeout_s = timeout_s
        self.alternatives_timeout_s = alternatives_timeout_s
        self._calls: dict[str, _CallState] = {}
        self.model_path: Path | None = None

    @classmethod
    async def load(cls, model_path: Path, timeout_s: float = 5.0, redis_url: str = "") -> RasaEngine:
        """Load a trained model (off the event loop) and start the Rasa thread; with
        `redis_url`, conversations are tracked (and locked) in that Redis."""
        loop = asyncio.get_running_loop()
        agent = await loop.run_in_executor(None, load_agent, Path(model_path), redis_url)
        engine = cls(agent, RasaThread(), timeout_s)
        await engine._on_thread(cls._warm_up(agent))
        engine.model_path = Path(model_path)
        logger.info("dialogue model loaded: %s", Path(model_path).name)
        return engine

    async def close(self) -> None:
        """Stop the Rasa thread (calls in progress are dropped)."""
        await asyncio.get_running_loop().run_in_executor(None, self._runner.stop)

    async def reload(self, model_path: Path) -> None:
        """Swap in a newly trained model; calls in progress keep their trackers."""
        loop = asyncio.get_running_loop()
        new_agent = await loop.run_in_executor(None, load_agent, Path(model_path))
        await self._on_thread(self._warm_up(new_agent))

        async def swap() -> None:
            # Between two turns on the Rasa thread: the new processor takes over the shared
            # tracker and lock stores, so conversations carry on under the new model.
            old = self._agent
            new_agent.tracker_store = old.tracker_store
            new_agent.lock_store = old.lock_store
            new_agent.processor.tracker_store = old.tracker_store
            new_agent.processor.lock_store = old.lock_store
            old.tracker_store.domain = new_agent.domain
            self._agent = new_agent

        await asyncio.wrap_future(self._runner.submit(swap()))
        self.model_path = Path(model_path)
        logger.info("dialogue model reloaded: %s", Path(model_path).name)

    async def watch(self, model_dir: Path, interval_s: float = 5.0) -> None:
        """Reload whenever `voicebot train` finishes a newer model in model_dir (run it as a
        task; cancel it to stop). A model counts once fingerprint.json names it, so a file
        still being written is never loaded; one that fails to load is not retried."""
        from nlu.training import latest_model, training_record

        failed: Path | None = None
        while True:
            await asyncio.sleep(interval_s)
            newest = latest_model(Path(model_dir))
            if newest is None or newest in (self.model_path, failed):
                continue
            if training_record(Path(model_dir)).get("model") != newest.name:
                continue  # training still writing it
            try:
                await self.reload(newest)
            except Exception:  # a broken model file must not stop the running bot
                logger.exception("could not load the new model %s; keeping the old one", newest)
                failed = newest

    def _message_for(self, state: _CallState, user_input: UserInput) -> str | None:
        if isinstance(user_input, Text):
            # A caller cannot inject Rasa's "/intent{...}" syntax by speaking.
            return user_input.text.strip().lstrip("/").strip() or None
        if isinstance(user_input, Digits):
            digits = SAFE_DIGITS.sub("", user_input.digits)
            if digits == "0" and state.last_expect != "digits":
                return "/request_human"
            return "/keypad" + json.dumps({"digits": digits.strip("*#")})
        if user_input.name == "call_start":
            return "/call_start"
        return None

    async def handle(self, call_id: str, user_input: UserInput) -> BotTurn:
        """One caller turn; never raises (failures become an apology and a handoff)."""
        state = self._calls.setdefault(call_id, _CallState())
        message = self._message_for(state, user_input)
        if message is None:  # no_input, or silence recognised as an empty text
            return BotTurn([NO_INPUT, *state.last_texts], expect=state.last_expect)
        try:
            turn, taken = await asyncio.wait_for(self._turn(call_id, state, user_input, message),
                                                 self.timeout_s)
        except asyncio.TimeoutError:
            logger.error("dialogue turn timed out after %.1f s", self.timeout_s)
            return technical_error_turn()
        except Exception:
            logger.exception("dialogue turn failed")
            return technical_error_turn()
        if not taken:  # a hesitation: the question asked before it is still the one open
            return turn
        state.hesitations = 0
        if turn.texts:
            state.last_texts = list(turn.texts)
        state.last_expect = turn.expect
        return turn

    async def _turn(self, call_id: str, state: _CallState, user_input: UserInput,
                    message: str) -> tuple[BotTurn, bool]:
        """The bot's turn, and whether the dialogue took the input as a turn."""
        parse_data = None
        if isinstance(user_input, Text):
            parse_data = as_hesitation_if_fragment(
                await self._best_reading(call_id, message, user_input.alternatives))
            if is_hesitation(parse_data) and await self._on_thread(
                    self._active_form(self._agent, call_id)) not in FORMS_READING_THEIR_ANSWER:
                state.hesitations += 1  # not a turn: see nlu/hesitation.py
                if state.hesitations < IN_A_ROW:
                    confidence = float(parse_data["intent"].get("confidence") or 0.0)
                    return BotTurn([go_on_text(self._agent.domain)], HESITATE, confidence,
                                   expect=state.last_expect), False
                parse_data = not_understood(parse_data)
        return await self._on_thread(self._run_turn(self._agent, call_id, message, parse_data)), True

    async def _on_thread(self, coro: Any) -> Any:
        """Run `coro` on the Rasa thread (cancelled there when the turn is cancelled here)."""
        return await asyncio.wrap_future(self._runner.submit(coro))

    async def _best_reading(self, call_id: str, message: str,
                            alternatives: Callable[[], Awaitable[list[str]]] | None) -> dict[str, Any]:
        """The parse of `message`, or of another reading of the same speech (`alternatives`)
        when only that one is understood (see nlu/readings.py). Not inside a form that takes
        the caller's words as they came (a complaint, a name); the answer to a clarifying
        question is read by the NLU, so it tries them too."""
        first = (await self._on_thread(self._parse(self._agent, [message])))[0]
        if alternatives is None or understood(first):
            return first
        if not readings_help(await self._on_thread(self._active_form(self._agent, call_id))):
            return first
        try:
            texts = await asyncio.wait_for(alternatives(), self.alternatives_timeout_s)
        except Exception as exc:  # no other readings: the first one stands
            logger.warning("no other readings of a turn not understood: %r", exc)
            return first
        others = [t for t in texts if t.strip().casefold() != message.casefold()][:1]  # see readings.py
        chosen = best_reading(first, await self._on_thread(self._parse(self._agent, others)) if others else [])
        if chosen is not first:
            logger.info("understood another reading: %r (%s %.2f) for %r", chosen["text"],
                        chosen["intent"]["name"], chosen["intent"]["confidence"], message)
        return chosen

    @staticmethod
    async def _warm_up(agent: Any) -> None:
        # A model's first turn costs 0.7 s of the GIL (graphs built, caches filled), which
        # stalls every call's audio on the event loop: the first caller after a start saw
        # lag p95 264 ms, and admission turned the next nine away. Paid here, off the line.
        for message in ("/call_start", "what is the exchange rate"):
            await RasaEngine._run_turn(agent, WARM_UP_SENDER, message)
        await asyncio.to_thread(drop_tracker, agent.tracker_store, WARM_UP_SENDER)

    @staticmethod
    async def _active_form(agent: Any, call_id: str) -> str | None:
        # Asked only for a turn not understood: reading the tracker costs a deserialisation.
        tracker = await agent.tracker_store.retrieve(call_id)
        return tracker.active_loop_name if tracker is not None else None

    @staticmethod
    async def _parse(agent: Any, texts: list[str]) -> list[dict[str, Any]]:
        return [await agent.parse_message(text) for text in texts]

    @staticmethod
    async def _run_turn(agent: Any, call_id: str, message: str,
                        parse_data: dict[str, Any] | None = None) -> BotTurn:
        from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
        from rasa.shared.core.events import UserUttered

        output = CollectingOutputChannel()
        text = parse_data["text"] if parse_data else message
        await agent.handle_message(UserMessage(text, output, sender_id=call_id, parse_data=parse_data))
        turn = turn_from_messages(output.messages)
        if text != message:
            turn.heard = text
        tracker = await agent.tracker_store.retrieve(call_id)
        if tracker is not None:
            # tracker.latest_message can be stale after a form turn: read the last event.
            intent = next(
                (e.intent for e in reversed(tracker.events) if isinstance(e, UserUttered)), {}
            ) or {}
            turn.intent = intent.get("name")
            turn.confidence = float(intent.get("confidence") or 0.0)
            turn.slots = {
                k: v
                for k, v in tracker.current_slot_values().items()
                if v is not None and k not in HIDDEN_SLOTS
            }
            if tracker.active_loop_name:
                turn.requested_slot = tracker.get_slot("requested_slot")
        return turn

    async def unfinished_complaint(self, call_id: str) -> dict[str, Any] | None:
        """The ticket of a complaint the caller described but did not confirm, to file as the
        call ends (nlu/complaint_ticket.py), or None."""

        async def slots() -> dict[str, Any]:
            tracker = await self._agent.tracker_store.retrieve(call_id)
            return tracker.current_slot_values() if tracker is not None else {}

        return left_ticket(await self._on_thread(slots()))

    async def end_call(self, call_id: str) -> None:
        """Forget the call's tracker and state."""
        self._calls.pop(call_id, None)

        async def forget() -> None:
            forget_tracker(self._agent.tracker_store, call_id)

        await asyncio.wrap_future(self._runner.submit(forget()))
