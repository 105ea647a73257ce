"""`voicebot validate`'s check of the responses our code says by name (`utter_go_on`,
`utter_complaint_category_not_given`, `utter_ticket_created`, ...): each must be in the domain.
Rasa's own validation only sees the responses of stories and rules, so a designer who renamed
one of these would learn of it from a caller hearing nothing."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from nlu.validation import Problem

# A whole name in quotes; prefixes the code completes ("utter_describe_") end in "_".
NAMED_RESPONSE = re.compile(r"[\"'](utter_[a-z0-9_]*[a-z0-9])[\"']")
CODE = Path(__file__).parent


def responses_named_in_code() -> dict[str, str]:
    """Response name -> the first of our modules that says it."""
    named: dict[str, str] = {}
    for path in sorted([*CODE.glob("*.py"), *(CODE / "actions").glob("*.py")]):
        for name in NAMED_RESPONSE.findall(path.read_text(encoding="utf-8")):
            named.setdefault(name, path.relative_to(CODE.parent).as_posix())
    return named


def check_named_responses(project_dir: Path) -> list[Problem]:
    """An error for each response the code says that no domain file defines."""
    defined: set[str] = set()
    for path in sorted((Path(project_dir) / "domain").rglob("*.yml")):
        defined |= set((yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("responses") or {})
    return [
        Problem("domain", None, "error", f"{name} is said by {module} but no domain file has it "
                "(renamed? the caller would hear nothing there)")
        for name, module in sorted(responses_named_in_code().items())
        if name not in defined
    ]
