"""Caller phrase templates: classes fill slots, big templates are sampled, mistakes are named."""

from __future__ import annotations

import pytest

from stt.language_model import PHONE_PHRASES
from stt.phrase_templates import MAX_PER_TEMPLATE, TemplateError, expand_templates, load_templates


def test_classes_fill_slots_and_may_use_earlier_classes():
    lines = [
        "# a comment",
        "hello there",
        "@digit = one | two",
        "@amount = {digit} pounds | a hundred pounds  # inline comment",
        "I paid {amount} on {digit}",
    ]
    phrases = expand_templates(lines)
    assert phrases[0] == "hello there"
    assert sorted(phrases[1:]) == sorted(
        f"I paid {a} on {d}" for a in ("one pounds", "two pounds", "a hundred pounds")
        for d in ("one", "two")
    )


def test_large_templates_are_sampled_the_same_way_every_build():
    values = " | ".join(f"w{i}" for i in range(20))
    lines = [f"@a = {values}", "{a} and {a}", "plain"]
    first, second = expand_templates(lines), expand_templates(lines)
    assert first == second
    assert len(first) == MAX_PER_TEMPLATE + 1 and len(set(first)) == len(first)
    assert first[-1] == "plain"


@pytest.mark.parametrize(
    ("line", "message"),
    [("my {colour} card", r"phrases:2: unknown class \{colour\}"),
     ("@broken", "phrases:2: a class line reads")],
)
def test_mistakes_name_the_line(line, message):
    with pytest.raises(TemplateError, match=message):
        expand_templates(["@card = card", line], "phrases")


def test_the_shipped_phrase_file_expands():
    phrases = load_templates(PHONE_PHRASES)
    assert "say that again" in phrases and "could someone call me back" in phrases
    assert not [p for p in phrases if "{" in p or "@" in p]
    assert any(p.startswith("my debit card was stolen") for p in phrases)
    assert 1000 < len(phrases) < 10000  # templates add phrases without drowning the NLU text
