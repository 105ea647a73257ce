"""`voicebot validate`'s checks of the examples taught on the Review page: each reviewed file
is named after an intent of the domain, and no reviewed example is also an example of another
intent (a turn labelled twice, or a label that contradicts the training data)."""

from __future__ import annotations

from pathlib import Path

import yaml

from nlu.teaching import normalised, reviewed_dir
from nlu.training import nlu_examples
from nlu.validation import Problem


def domain_intents(project_dir: Path) -> set[str]:
    names: set[str] = set()
    for path in sorted((Path(project_dir) / "domain").glob("*.y*ml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for item in doc.get("intents") or []:
            names.add(item if isinstance(item, str) else next(iter(item)))
    return names


def check_reviewed(project_dir: Path) -> list[Problem]:
    """Problems of the reviewed examples, with file and line."""
    folder = reviewed_dir(project_dir)
    if not folder.is_dir():
        return []
    intents = domain_intents(project_dir)
    owners: dict[str, set[str]] = {}
    for intent, text in nlu_examples(Path(project_dir)):
        owners.setdefault(normalised(text), set()).add(intent)
    problems = []
    for path in sorted(folder.glob("*.yml")):
        where = str(path.relative_to(Path(project_dir).parent)) if path.is_relative_to(Path(project_dir).parent) else str(path)
        if path.stem not in intents:
            problems.append(Problem(where, None, "error", f"{path.stem} is not an intent of the domain"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.startswith("    - "):
                continue
            others = owners.get(normalised(line[6:]), set()) - {path.stem}
            if others:
                problems.append(Problem(where, number, "error", f"{line[6:].strip()!r} is also an example of "
                                        f"{', '.join(sorted(others))}: one sentence, one intent"))
    return problems
