"""`voicebot validate` finds broken YAML and bad spoken answers, naming file and line."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from nlu.validation import check_answer, validate

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture()
def project_copy(tmp_path, project_dir) -> Path:
    copy = tmp_path / "nlu"
    shutil.copytree(project_dir, copy, ignore=shutil.ignore_patterns("build"))
    return copy


def line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


def test_the_shipped_project_passes_our_checks(project_dir):
    assert [str(p) for p in validate(project_dir, [], with_rasa=False)] == []


def test_an_answer_with_a_url_is_reported_with_file_and_line(project_copy):
    faq = project_copy / "domain" / "faq.yml"
    text = faq.read_text().replace(
        "New cards usually arrive within five working days of ordering.",
        "New cards usually arrive soon, see https://bank.example.com/cards for details.",
    )
    faq.write_text(text)
    line = line_of(faq, "https://bank.example.com")
    problems = [str(p) for p in validate(project_copy, [], with_rasa=False)]
    assert problems == [
        f"nlu/domain/faq.yml:{line}: error: utter_card_arrival has a URL ('https://'); "
        "a caller cannot click a link"
    ]


def test_a_broken_yaml_file_is_reported_with_file_and_line(project_copy):
    rules = project_copy / "data" / "rules" / "phone.yml"
    lines = rules.read_text().splitlines()
    bad = line_of(rules, "- rule: thanks")
    lines[bad - 1] = "  - rule: thanks: [unclosed"
    rules.write_text("\n".join(lines) + "\n")
    problems = validate(project_copy, [], with_rasa=True)  # Rasa is not reached
    assert len(problems) == 1
    assert problems[0].path == "nlu/data/rules/phone.yml"
    assert problems[0].line == bad
    assert "not valid YAML" in problems[0].message


def test_a_faq_without_answer_and_a_long_answer_are_errors(project_copy):
    faq = project_copy / "domain" / "faq.yml"
    text = faq.read_text()
    start = text.index('  "utter_age_limit":')
    end = text.index("\n", text.index("- text:", start)) + 1
    faq.write_text(text[:start] + text[end:])
    problems = [str(p) for p in validate(project_copy, [], with_rasa=False)]
    assert len(problems) == 1
    assert "FAQ intent age_limit has no spoken answer utter_age_limit" in problems[0]
    intent_line = line_of(faq, '- "age_limit"')
    assert problems[0].startswith(f"nlu/domain/faq.yml:{intent_line}:")


def test_spoken_answer_rules():
    assert check_answer("Your card arrives in five days.") == []
    assert any("URL" in i for i in check_answer("Visit www.harbourbank.co.uk today."))
    assert any("markdown" in i for i in check_answer("You can **freeze** the card."))
    assert any("markdown" in i for i in check_answer("- first\n- second"))
    assert any("50 words" in i for i in check_answer(" ".join(["word"] * 50) + "."))
    assert any("sentences" in i for i in check_answer("One. Two. Three. Four."))
    assert check_answer("One. Two. Three. Four.", faq=False) == []


def test_cli_exit_status_and_message_name_the_file(project_copy, tmp_path):
    faq = project_copy / "domain" / "faq.yml"
    faq.write_text(faq.read_text().replace("Standard delivery takes", "See www.example.com. Standard delivery takes"))
    config = tmp_path / "voicebot.yml"
    config.write_text(f"nlu:\n  project_dir: {project_copy}\n")
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "--config", str(config), "validate", "--no-rasa"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 1
    assert f"nlu/domain/faq.yml:{line_of(faq, 'www.example.com')}: error: utter_card_delivery_estimate has a URL" in result.stdout
    assert "1 error(s)" in result.stderr


def test_a_response_the_code_says_renamed_in_the_domain_is_an_error(project_copy):
    """The complaint form says utter_complaint_category_not_given by name; no rule uses it."""
    domain = project_copy / "domain" / "complaint.yml"
    domain.write_text(domain.read_text().replace("utter_complaint_category_not_given:",
                                                 "utter_complaint_no_category:"))
    problems = [str(p) for p in validate(project_copy, [], with_rasa=False)]
    assert problems == [
        "domain: error: utter_complaint_category_not_given is said by nlu/actions/complaint.py but "
        "no domain file has it (renamed? the caller would hear nothing there)"
    ]
