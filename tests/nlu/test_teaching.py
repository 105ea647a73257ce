"""Teaching from reviewed turns: the reviewed YAML, its provenance, no duplicates, the phrase
list, the git patch, and `voicebot validate`'s checks of it."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from nlu.review_checks import check_reviewed
from nlu.teaching import (
    TeachError,
    add_phrase,
    export_patch,
    import_patch,
    reviewed_examples,
    teach,
)
from nlu.training import nlu_examples
from tests.conftest import PROJECT_ROOT


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """The domain and hand-written data of the real project, in a folder of its own."""
    import shutil

    target = tmp_path / "nlu"
    shutil.copytree(PROJECT_ROOT / "nlu" / "domain", target / "domain")
    shutil.copytree(PROJECT_ROOT / "nlu" / "data", target / "data",
                    ignore=shutil.ignore_patterns("reviewed"))
    return target


def test_a_taught_example_is_rasa_yaml_with_its_provenance(project: Path) -> None:
    taught = teach(project, "card_arrival", "my new card has not arrived yet",
                   {"call": "CA1", "turn": 2, "by": "dana", "was": "nlu_fallback@0.60", "at": 0})
    assert taught.added and taught.path == project / "data/nlu/reviewed/card_arrival.yml"
    text = taught.path.read_text()
    assert "# reviewed: 1970-01-01T00:00Z call=CA1 turn=2 by=dana was=nlu_fallback@0.60\n- intent: card_arrival" in text
    blocks = yaml.safe_load(text)["nlu"]
    assert blocks == [{"intent": "card_arrival", "examples": "- my new card has not arrived yet\n"}]
    assert ("card_arrival", "my new card has not arrived yet") in set(nlu_examples(project))
    assert reviewed_examples(project)[0]["provenance"].startswith("1970-01-01T00:00Z call=CA1")


def test_never_a_duplicate_of_an_existing_example(project: Path) -> None:
    hand_written = next(t for i, t in nlu_examples(project) if i == "request_human")
    again = teach(project, "request_human", hand_written.upper() + "!", {"by": "dana"})
    assert not again.added and not again.path.exists()
    teach(project, "card_arrival", "where is my card", {"by": "dana"})
    assert not teach(project, "card_arrival", "Where is my card?", {"by": "dana"}).added
    assert len(reviewed_examples(project)) == 1


@pytest.mark.parametrize("text", ["", "   ", "x" * 201])
def test_empty_or_long_examples_are_refused(project: Path, text: str) -> None:
    with pytest.raises(TeachError):
        teach(project, "card_arrival", text, {})


def test_caller_words_cannot_inject_yaml_or_entities(project: Path) -> None:
    taught = teach(project, "card_arrival", 'my [card](bank) "}\n- intent: evil', {})
    blocks = yaml.safe_load(taught.path.read_text())["nlu"]
    assert [b["intent"] for b in blocks] == ["card_arrival"]
    assert blocks[0]["examples"] == "- my card bank - intent: evil\n"
    with pytest.raises(TeachError):
        teach(project, "../../etc/passwd", "hello", {})


def test_corrected_words_go_into_the_phrase_list_once(tmp_path: Path) -> None:
    from stt.phrase_templates import load_templates

    phrases = tmp_path / "phrases.txt"
    phrases.write_text("hello\n")
    assert add_phrase(phrases, "the {machine} kept my card", {"by": "dana"})
    assert not add_phrase(phrases, "The machine kept my card.", {"by": "dana"})
    assert "the machine kept my card" in load_templates(phrases)


def test_export_then_import_moves_examples_between_checkouts(project: Path, tmp_path: Path) -> None:
    teach(project, "card_arrival", "my new card has not arrived yet", {"call": "CA1", "by": "dana"})
    teach(project, "out_of_scope", "what is the weather like", {"call": "CA2", "by": "dana"})
    patch = export_patch(project)
    other = tmp_path / "other"
    import shutil

    shutil.copytree(project / "domain", other / "domain")
    (other / "data").mkdir()
    assert import_patch(other, patch) == (2, 0)
    assert import_patch(other, patch) == (0, 2)
    assert {(e["intent"], e["text"]) for e in reviewed_examples(other)} == {
        ("card_arrival", "my new card has not arrived yet"), ("out_of_scope", "what is the weather like")}
    assert "call=CA1" in (other / "data/nlu/reviewed/card_arrival.yml").read_text()
    with pytest.raises(TeachError):
        import_patch(other, "nlu: []")


def test_validate_names_a_contradicting_or_unknown_reviewed_file(project: Path) -> None:
    teach(project, "card_arrival", "my card is late", {})
    assert check_reviewed(project) == []
    hand_written = next(t for i, t in nlu_examples(project) if i == "request_human")
    bad = project / "data/nlu/reviewed/card_arrival.yml"
    bad.write_text(bad.read_text() + f"- intent: card_arrival\n  examples: |\n    - {hand_written}\n")
    (project / "data/nlu/reviewed/no_such_intent.yml").write_text('version: "3.1"\nnlu: []\n')
    problems = [str(p) for p in check_reviewed(project)]
    assert any("card_arrival.yml:" in p and "also an example of request_human" in p for p in problems), problems
    assert any("no_such_intent is not an intent of the domain" in p for p in problems), problems
