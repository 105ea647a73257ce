"""Sensitive slots: answers the call recording pauses for (card or account numbers, security
answers). A designer marks the question that asks for a slot:

    responses:
      utter_ask_account_number:
        - text: "What is your account number?"
          custom: {expect: digits, sensitive: true}

The bot reads the marks from the domain files when it starts (no retraining needed), and
`voicebot validate` checks them (`check_sensitive_marks`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from nlu.validation import Problem

ASK_PREFIX = "utter_ask_"


def _domain_files(project_dir: Path) -> list[Path]:
    files = sorted((project_dir / "domain").rglob("*.yml")) if (project_dir / "domain").is_dir() else []
    single = project_dir / "domain.yml"
    return files + ([single] if single.is_file() else [])


def _marks(project_dir: Path) -> tuple[set[str], list[tuple[Path, str, Any]]]:
    """Every slot name of the domain, and every (file, response, value) with a `sensitive` key."""
    slots: set[str] = set()
    marks: list[tuple[Path, str, Any]] = []
    for path in _domain_files(project_dir):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        slots |= set((data.get("slots") or {}).keys())
        for name, variants in (data.get("responses") or {}).items():
            for variant in variants or []:
                custom = variant.get("custom") if isinstance(variant, dict) else None
                if isinstance(custom, dict) and "sensitive" in custom:
                    marks.append((path, name, custom["sensitive"]))
    return slots, marks


def sensitive_slots(project_dir: Path) -> frozenset[str]:
    """The slots whose `utter_ask_<slot>` is marked `sensitive: true`."""
    try:
        _, marks = _marks(project_dir)
    except (OSError, yaml.YAMLError):
        return frozenset()
    return frozenset(name[len(ASK_PREFIX):] for _, name, value in marks
                     if value is True and name.startswith(ASK_PREFIX))


def check_sensitive_marks(project_dir: Path) -> list[Problem]:
    """A problem for a mark that is not `true`/`false` or not on `utter_ask_<an existing slot>`."""
    slots, marks = _marks(project_dir)
    problems = []
    for path, name, value in marks:
        where = path.relative_to(project_dir).as_posix()
        if not isinstance(value, bool):
            problems.append(Problem(where, None, "error", f"{name}: sensitive must be true or false"))
        elif not name.startswith(ASK_PREFIX) or name[len(ASK_PREFIX):] not in slots:
            problems.append(Problem(where, None, "error", f"{name}: sensitive marks the question of "
                                    "a slot: put it on utter_ask_<slot> of a slot in the domain"))
    return problems
