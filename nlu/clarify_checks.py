"""`voicebot validate` checks for the clarifying questions (nlu/clarify.py):

- every intent a caller can say has a spoken description `utter_describe_<intent>` (the
  words of "Is this about ...?");
- every urgent FAQ (its rule ends in action_handoff_urgent) has a yes/no confirmation
  `utter_confirm_<intent>`, and the urgent FAQs of the rules are nlu/clarify.py's.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from nlu.clarify import URGENT_INTENTS
from nlu.validation import EVENT_INTENTS, Problem

DESCRIBE = "utter_describe_"
CONFIRM = "utter_confirm_"
URGENT_ACTION = "action_handoff_urgent"


def _load(paths: list[Path]) -> list[tuple[Path, dict]]:
    return [(p, yaml.safe_load(p.read_text(encoding="utf-8")) or {}) for p in paths]


def urgent_rule_intents(project_dir: Path) -> set[str]:
    """Intents whose rule hands the caller to a person as urgent."""
    urgent = set()
    for _, data in _load(sorted((project_dir / "data").rglob("*.yml"))):
        for rule in data.get("rules") or []:
            steps = rule.get("steps") or []
            if any(s.get("action") == URGENT_ACTION for s in steps):
                urgent |= {s["intent"] for s in steps if "intent" in s}
    return urgent


def check_clarify_texts(project_dir: Path) -> list[Problem]:
    """A problem for an intent without a description, an urgent FAQ without a confirmation,
    and urgent FAQs that differ between the rules and nlu/clarify.py."""
    intents: list[tuple[str, str]] = []
    responses: set[str] = set()
    for path, data in _load(sorted((project_dir / "domain").rglob("*.yml"))):
        where = path.relative_to(project_dir).as_posix()
        intents += [(i if isinstance(i, str) else next(iter(i)), where) for i in data.get("intents") or []]
        responses |= set((data.get("responses") or {}).keys())
    problems = [
        Problem(where, None, "error", f"intent {intent} has no spoken description {DESCRIBE}{intent} "
                "(the words of a clarifying question, e.g. 'a card payment that was declined')")
        for intent, where in intents
        if intent not in EVENT_INTENTS and f"{DESCRIBE}{intent}" not in responses
    ]
    rules_urgent = urgent_rule_intents(project_dir)
    for intent in sorted(rules_urgent):
        if f"{CONFIRM}{intent}" not in responses:
            problems.append(Problem("domain", None, "error", f"urgent intent {intent} has no yes/no "
                                    f"confirmation {CONFIRM}{intent} (e.g. 'Has your card been lost or stolen?')"))
    if rules_urgent != URGENT_INTENTS:
        problems.append(Problem("data/rules", None, "error", "the urgent FAQs of the rules "
                                f"{sorted(rules_urgent)} differ from URGENT_INTENTS in nlu/clarify.py"))
    return problems
