"""Voice scenarios as data, and the YAML loader that names the file and line of every mistake.

A scenario file holds one conversation (see `nlu/tests/voice/README.md` for the format):

    name: card not arrived
    turns:
      - say: my new card has not arrived yet
        expect: {intent: card_arrival, says: card}
    expect: {ended: false}
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.caller.voices import VOICES

ACTIONS = ("say", "wav", "press", "silence")
TURN_KEYS = {*ACTIONS, "voice", "noise_db", "barge_in_ms", "expect", "note"}
TURN_EXPECT_KEYS = {"intent", "says", "not_says", "slot", "handoff", "ticket", "ended",
                    "interrupted", "event", "heard", "max_latency_ms", "reply"}
CALL_EXPECT_KEYS = {"outcome", "end_reason", "ended", "handoff", "ticket", "event", "no_handoff"}
SCENARIO_KEYS = {"name", "description", "tags", "voice", "greeting", "turns", "expect", "server", "known_issue"}


class ScenarioError(ValueError):
    """A scenario file is wrong; the message starts with `file:line:`."""


@dataclass
class Turn:
    """One caller action and what the bot should do in response."""

    action: str  # say | wav | press | silence
    value: str
    line: int
    voice: str = "rms"
    noise_db: float | None = None  # signal-to-noise ratio of added background noise
    barge_in_ms: int | None = None  # start this turn N ms into the bot's previous reply
    expect: dict[str, Any] = field(default_factory=dict)

    def describe(self) -> str:
        extra = []
        if self.noise_db is not None:
            extra.append(f"noise {self.noise_db:g} dB SNR")
        if self.barge_in_ms is not None:
            extra.append(f"barge-in at {self.barge_in_ms} ms")
        text = {"say": f'says "{self.value}" ({self.voice})', "wav": f"plays {Path(self.value).name}",
                "press": f"presses {self.value}", "silence": f"stays silent {self.value} s"}[self.action]
        return text + (f" [{', '.join(extra)}]" if extra else "")


@dataclass
class Scenario:
    name: str
    path: Path
    turns: list[Turn]
    greeting: dict[str, Any] = field(default_factory=dict)
    expect: dict[str, Any] = field(default_factory=dict)
    server: dict[str, str] = field(default_factory=dict)  # settings overrides, e.g. escalation.transfer_target
    tags: list[str] = field(default_factory=list)
    description: str = ""
    known_issue: str = ""  # a known bug: failing is reported (XFAIL) but does not fail the run

    @property
    def id(self) -> str:
        return self.path.stem

    def server_env(self) -> dict[str, str]:
        """The overrides as `VOICEBOT_SECTION__FIELD` environment variables."""
        return {"VOICEBOT_" + key.upper().replace(".", "__"): value for key, value in self.server.items()}


def _plain(node: yaml.Node) -> Any:
    """A YAML node as plain Python values (via the safe constructor)."""
    loader = yaml.SafeLoader("")
    try:
        return loader.construct_object(node, deep=True)
    finally:
        loader.dispose()


class _Reader:
    """Walks one file's node tree, raising ScenarioError with the node's line."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, node: yaml.Node, message: str) -> ScenarioError:
        return ScenarioError(f"{self.path}:{node.start_mark.line + 1}: {message}")

    def mapping(self, node: yaml.Node, allowed: set[str], where: str) -> dict[str, yaml.Node]:
        if not isinstance(node, yaml.MappingNode):
            raise self.fail(node, f"{where} must be a mapping of keys to values")
        out: dict[str, yaml.Node] = {}
        for key_node, value_node in node.value:
            key = _plain(key_node)
            if not isinstance(key, str) or key not in allowed:
                raise self.fail(key_node, f"unknown key {key!r} in {where}; allowed: {', '.join(sorted(allowed))}")
            if key in out:
                raise self.fail(key_node, f"key {key!r} appears twice in {where}")
            out[key] = value_node
        return out

    def scalar(self, node: yaml.Node, kinds: tuple[type, ...], what: str) -> Any:
        value = _plain(node) if isinstance(node, yaml.ScalarNode) else None
        if isinstance(value, bool) and bool not in kinds:
            value = None
        if not isinstance(value, kinds):
            names = " or ".join(k.__name__.replace("str", "text").replace("float", "number") for k in kinds)
            raise self.fail(node, f"{what} must be {names}")
        return value

    def expectations(self, node: yaml.Node, allowed: set[str], where: str) -> dict[str, Any]:
        nodes = self.mapping(node, allowed, where)
        out: dict[str, Any] = {}
        for key, value_node in nodes.items():
            value = _plain(value_node)
            if key in ("says", "not_says", "intent", "event", "heard") and not (
                isinstance(value, str) or (isinstance(value, list) and all(isinstance(v, str) for v in value))
            ):
                raise self.fail(value_node, f"{key} must be text or a list of texts")
            if key == "slot" and not (isinstance(value, dict) and value):
                raise self.fail(value_node, "slot must map slot names to expected values")
            if key in ("handoff", "ticket") and not isinstance(value, (str, bool, dict)):
                raise self.fail(value_node, f"{key} must be true/false, a reason, or a mapping")
            if key in ("ended", "interrupted", "reply", "no_handoff") and not isinstance(value, bool):
                raise self.fail(value_node, f"{key} must be true or false")
            if key == "max_latency_ms" and (isinstance(value, bool) or not isinstance(value, (int, float))):
                raise self.fail(value_node, "max_latency_ms must be a number")
            if key in ("outcome", "end_reason") and not isinstance(value, str):
                raise self.fail(value_node, f"{key} must be text")
            out[key] = value
        return out

    def turn(self, node: yaml.Node, index: int, default_voice: str) -> Turn:
        where = f"turn {index}"
        nodes = self.mapping(node, TURN_KEYS, where)
        actions = [a for a in ACTIONS if a in nodes]
        if len(actions) != 1:
            raise self.fail(node, f"{where} needs exactly one of {', '.join(ACTIONS)} (found {len(actions)})")
        action = actions[0]
        raw = _plain(nodes[action])
        if action == "silence":
            seconds = self.scalar(nodes[action], (int, float), "silence (seconds)")
            if not 0 < seconds <= 120:
                raise self.fail(nodes[action], "silence must be between 0 and 120 seconds")
            value = str(seconds)
        elif action == "press":
            value = str(raw) if isinstance(raw, (str, int)) and not isinstance(raw, bool) else ""
            if not value or any(c not in "0123456789*#" for c in value):
                raise self.fail(nodes[action], "press must be keypad keys (0-9, * and #), quoted, e.g. press: \"0\"")
        elif action == "wav":
            value = self.scalar(nodes[action], (str,), "wav")
            wav = Path(value) if Path(value).is_absolute() else self.path.parent / value
            if not wav.is_file():
                raise self.fail(nodes[action], f"no such WAV file: {wav}")
            value = str(wav)
        else:
            value = self.scalar(nodes[action], (str,), "say").strip()
            if not value:
                raise self.fail(nodes[action], "say needs the words to speak")
        turn = Turn(action, value, node.start_mark.line + 1, voice=default_voice)
        if "voice" in nodes:
            turn.voice = self.scalar(nodes["voice"], (str,), "voice")
            if turn.voice not in VOICES:
                raise self.fail(nodes["voice"], f"unknown voice {turn.voice!r}; choose one of {', '.join(VOICES)}")
        if "noise_db" in nodes:
            turn.noise_db = float(self.scalar(nodes["noise_db"], (int, float), "noise_db (SNR in dB)"))
            if action not in ("say", "wav"):
                raise self.fail(nodes["noise_db"], "noise_db only applies to say or wav turns")
        if "barge_in_ms" in nodes:
            turn.barge_in_ms = int(self.scalar(nodes["barge_in_ms"], (int,), "barge_in_ms"))
            if turn.barge_in_ms < 0 or action not in ("say", "wav"):
                raise self.fail(nodes["barge_in_ms"], "barge_in_ms must be >= 0 on a say or wav turn")
        if "expect" in nodes:
            turn.expect = self.expectations(nodes["expect"], TURN_EXPECT_KEYS, f"{where} expect")
        return turn


def load_scenario(path: Path) -> Scenario:
    """Read and check one scenario file; raises ScenarioError naming file and line."""
    reader = _Reader(path)
    try:
        root = yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        raise ScenarioError(f"{path}:{line}: not valid YAML: {exc.problem or exc}") from None
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot read: {exc.strerror}") from None
    if root is None:
        raise ScenarioError(f"{path}:1: the file is empty")
    nodes = reader.mapping(root, SCENARIO_KEYS, "the scenario")
    for required in ("name", "turns"):
        if required not in nodes:
            raise reader.fail(root, f"the scenario needs a '{required}'")
    voice = "rms"
    if "voice" in nodes:
        voice = reader.scalar(nodes["voice"], (str,), "voice")
        if voice not in VOICES:
            raise reader.fail(nodes["voice"], f"unknown voice {voice!r}; choose one of {', '.join(VOICES)}")
    turns_node = nodes["turns"]
    if not isinstance(turns_node, yaml.SequenceNode) or not turns_node.value:
        raise reader.fail(turns_node, "turns must be a non-empty list of caller turns")
    turns = [reader.turn(n, i, voice) for i, n in enumerate(turns_node.value, start=1)]
    scenario = Scenario(name=str(reader.scalar(nodes["name"], (str,), "name")), path=path, turns=turns)
    if "greeting" in nodes:
        scenario.greeting = reader.expectations(nodes["greeting"], TURN_EXPECT_KEYS, "greeting")
    if "expect" in nodes:
        scenario.expect = reader.expectations(nodes["expect"], CALL_EXPECT_KEYS, "the call's expect")
    if "server" in nodes:
        server = _plain(nodes["server"])
        if not isinstance(server, dict) or not all(isinstance(k, str) and "." in k for k in server):
            raise reader.fail(nodes["server"], "server must map settings like escalation.transfer_target to values")
        scenario.server = {k: str(v) for k, v in server.items()}
    if "tags" in nodes:
        tags = _plain(nodes["tags"])
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            raise reader.fail(nodes["tags"], "tags must be a list of words")
        scenario.tags = tags
    if "known_issue" in nodes:
        scenario.known_issue = str(reader.scalar(nodes["known_issue"], (str,), "known_issue"))
    if "description" in nodes:
        scenario.description = str(reader.scalar(nodes["description"], (str,), "description"))
    return scenario


def find_scenarios(paths: list[Path]) -> list[Path]:
    """Scenario files under the given files or folders (*.yml, *.yaml), sorted."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(p for p in path.rglob("*") if p.suffix in (".yml", ".yaml"))
        elif path.is_file():
            found.append(path)
        else:
            raise ScenarioError(f"{path}: no such file or folder")
    return found


def load_all(paths: list[Path]) -> list[Scenario]:
    """Every scenario under `paths`; all errors are collected and raised together."""
    scenarios, errors = [], []
    for path in find_scenarios(paths):
        try:
            scenarios.append(load_scenario(path))
        except ScenarioError as exc:
            errors.append(str(exc))
    if errors:
        raise ScenarioError("\n".join(errors))
    return scenarios
