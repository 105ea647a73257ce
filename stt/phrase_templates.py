"""Caller phrase templates for the speech language model: plain phrases, and templates whose
`{class}` slots are filled from word classes, so one line teaches the recognizer every
card, amount or day a caller may name in it.

File syntax (one entry per line, "#" starts a comment):

    @day = monday | tuesday | yesterday | last week
    it happened {day}
    my {card} has not arrived

A class may use other classes defined above it. A template with many combinations is
sampled (the same sample every build), so no template outweighs the NLU examples.
"""

from __future__ import annotations

import itertools
import random
import re
from pathlib import Path

SLOT = re.compile(r"\{(\w+)\}")
CLASS_LINE = re.compile(r"^@(\w+)\s*=\s*(.+)$")
MAX_PER_TEMPLATE = 60


class TemplateError(ValueError):
    """A template file that cannot be expanded (the message names the file and line)."""


def _fill(text: str, classes: dict[str, list[str]], where: str) -> list[str]:
    names = SLOT.findall(text)
    for name in names:
        if name not in classes:
            raise TemplateError(f"{where}: unknown class {{{name}}}")
    if not names:
        return [text]
    parts = SLOT.split(text)  # literal, name, literal, name, ..., literal
    combos = itertools.product(*(classes[n] for n in names))
    out = []
    for combo in combos:
        words = [parts[0]]
        for value, literal in zip(combo, parts[2::2]):
            words += [value, literal]
        out.append(" ".join("".join(words).split()))
    return out


def expand_templates(lines: list[str], where: str = "templates", seed: int = 0) -> list[str]:
    """Phrases from template lines (see the module docstring)."""
    classes: dict[str, list[str]] = {}
    phrases: list[str] = []
    rng = random.Random(seed)
    for number, raw in enumerate(lines, 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        here = f"{where}:{number}"
        match = CLASS_LINE.match(line)
        if match:
            values = [v.strip() for v in match.group(2).split("|") if v.strip()]
            classes[match.group(1)] = [x for v in values for x in _fill(v, classes, here)]
            continue
        if line.startswith("@"):
            raise TemplateError(f"{here}: a class line reads '@name = a | b | c'")
        filled = _fill(line, classes, here)
        if len(filled) > MAX_PER_TEMPLATE:
            filled = rng.sample(filled, MAX_PER_TEMPLATE)
        phrases += filled
    return phrases


def load_templates(path: Path) -> list[str]:
    """Phrases from a template file."""
    path = Path(path)
    return expand_templates(path.read_text(encoding="utf-8").splitlines(), str(path))
