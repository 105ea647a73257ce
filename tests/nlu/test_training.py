"""Dataset conversion, fingerprints and the skip-when-unchanged rule of `voicebot train`."""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from nlu.convert import clean, convert
from nlu.training import fingerprint, is_up_to_date, train, training_sentences

ROOT = Path(__file__).resolve().parents[2]


def test_conversion_is_deterministic_and_complete(tmp_path, datasets_dir):
    first = [p.read_bytes() for p in convert(datasets_dir, tmp_path / "a")]
    second = [p.read_bytes() for p in convert(datasets_dir, tmp_path / "b")]
    assert first == second
    banking = yaml.safe_load((tmp_path / "a" / "banking77.yml").read_text())["nlu"]
    assert len(banking) == 77
    examples = sum(len(block["examples"].splitlines()) for block in banking)
    assert 9900 <= examples <= 10003  # duplicates across intents are dropped
    assert not any(c in (tmp_path / "a" / "banking77.yml").read_text() for c in "[]{}")
    clinc = {b["intent"]: b["examples"] for b in
             yaml.safe_load((tmp_path / "a" / "clinc150.yml").read_text())["nlu"]}
    assert set(clinc) == {"out_of_scope", "greet", "goodbye", "thanks", "affirm", "deny",
                          "repeat", "bot_challenge", "dont_know", "account_lookup",
                          "compromised_card", "lost_or_stolen_card", "card_payment_not_recognised",
                          "declined_card_payment", "card_not_working", "change_pin",
                          "card_payment_fee_charged", "exchange_rate"}
    dont_know = clinc["dont_know"].lower()
    assert "i'm unsure" in dont_know and "no idea" in dont_know
    assert "either" not in dont_know and "weather" not in dont_know  # options, a mislabel
    def texts(split: str) -> set[str]:
        with (datasets_dir / "banking77" / f"{split}.csv").open() as handle:
            return {clean(r["text"]) for r in csv.DictReader(handle)}

    generated = {
        line.strip()[2:] for line in (tmp_path / "a" / "banking77.yml").read_text().splitlines()
        if line.startswith("      - ")
    }
    assert not generated & (texts("test") - texts("train"))  # no test sentence leaks in


def test_training_sentences_are_the_examples_without_out_of_scope(project_dir, trained_model):
    sentences = training_sentences(project_dir)
    assert "I want to make a complaint" in sentences
    assert "am I talking to a robot" in sentences
    assert "tell me a joke" not in sentences  # an out_of_scope example
    assert len(sentences) > 9000
    assert len(sentences) == len(set(sentences))


def test_fingerprint_follows_data_and_config(tmp_path, project_dir):
    copy = tmp_path / "nlu"
    shutil.copytree(project_dir, copy)
    before = fingerprint(copy)
    assert fingerprint(copy) == before
    phone = copy / "data" / "nlu" / "phone.yml"
    phone.write_text(phone.read_text().replace("      - hiya\n", "      - hiya\n      - howdy\n"))
    assert fingerprint(copy) != before


def test_train_skips_an_up_to_date_model(settings, project_dir, datasets_dir, trained_model):
    model_dir = settings.path(settings.nlu.model_dir)
    assert is_up_to_date(project_dir, model_dir)
    messages: list[str] = []
    result = train(project_dir, model_dir, datasets_dir, progress=messages.append)
    assert result.skipped and result.model_path == trained_model
    assert any("training skipped" in m for m in messages)


def test_cli_train_reports_the_skip(trained_model):
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "train", "--no-lm"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "model up to date, training skipped" in result.stderr
    assert result.stdout.strip().endswith(trained_model.name)
