"""A small copy of the Rasa project for tests that train real models in seconds: the config,
domain, rules, hand-written examples and test files as they are, plus a few Banking77
examples for a handful of FAQ intents (card_arrival is left out: tests teach it)."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

from tests.conftest import PROJECT_ROOT

NLU = PROJECT_ROOT / "nlu"
FAQ_INTENTS = ("exchange_rate", "transfer_timing", "change_pin",
               "top_up_failed", "card_payment_fee_charged", "terminate_account", "pending_transfer")
PER_INTENT = 15


def small_project(target: Path) -> Path:
    """Write the small project into `target` (the Rasa project folder); returns it."""
    target.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(NLU / "config.yml", target / "config.yml")
    shutil.copytree(NLU / "domain", target / "domain")
    # urgent.yml holds examples of Banking77 FAQ intents, which this project keeps to FAQ_INTENTS
    shutil.copytree(NLU / "data", target / "data", ignore=shutil.ignore_patterns("reviewed", "urgent.yml"))
    (target / "tests").mkdir()
    for name in ("nlu_phone.yml", "test_stories.yml"):
        shutil.copyfile(NLU / "tests" / name, target / "tests" / name)
    blocks = []
    for source in ("banking77.yml", "clinc150.yml"):
        doc = yaml.safe_load((NLU / "build" / "data" / source).read_text(encoding="utf-8"))
        for block in doc["nlu"]:
            # Banking77's sentences of the FAQ intents, CLINC150's out-of-scope ones (its
            # mapped bank questions would make card questions card_payment_fee_charged).
            wanted = FAQ_INTENTS if source == "banking77.yml" else ("out_of_scope",)
            if block["intent"] in wanted:
                lines = [ln for ln in block["examples"].splitlines() if ln.strip()]
                blocks.append({"intent": block["intent"], "examples": "\n".join(lines[:PER_INTENT * (3 if block["intent"] == "out_of_scope" else 1)]) + "\n"})
    generated = target / "build" / "data"
    generated.mkdir(parents=True)
    text = 'version: "3.1"\nnlu:\n' + "".join(
        f"- intent: {b['intent']}\n  examples: |\n" + "".join(f"    {ln.strip()}\n" for ln in b["examples"].splitlines())
        for b in blocks)
    (generated / "small.yml").write_text(text, encoding="utf-8")
    return target
