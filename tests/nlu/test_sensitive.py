"""Sensitive slots: the designer's mark on a slot's question, read and validated."""

from __future__ import annotations

from pathlib import Path

from nlu.sensitive import check_sensitive_marks, sensitive_slots
from tests.conftest import PROJECT_ROOT


def test_the_complaint_forms_account_number_is_sensitive() -> None:
    assert "account_number" in sensitive_slots(PROJECT_ROOT / "nlu")
    assert check_sensitive_marks(PROJECT_ROOT / "nlu") == []


def test_a_mark_that_is_not_a_boolean_or_not_on_a_slots_question_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "domain").mkdir()
    (tmp_path / "domain" / "d.yml").write_text(
        "slots:\n  pin: {type: text, mappings: [{type: from_text}]}\n"
        "responses:\n"
        "  utter_ask_pin: [{text: 'Your PIN?', custom: {sensitive: 'yes'}}]\n"
        "  utter_greet: [{text: 'Hi', custom: {sensitive: true}}]\n"
        "  utter_ask_card: [{text: 'Card?', custom: {sensitive: true}}]\n")
    problems = [str(p) for p in check_sensitive_marks(tmp_path)]
    assert len(problems) == 3, problems
    assert "utter_ask_pin: sensitive must be true or false" in problems[0]
    assert sensitive_slots(tmp_path) == frozenset({"card"})  # read, though `card` is no slot
