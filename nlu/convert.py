"""Convert the public datasets into Rasa NLU YAML in an ignored build folder.

Banking77 `train.csv` gives the 77 FAQ intents (category names kept). CLINC150 gives
`out_of_scope` (its `oos_train` examples plus a sample of its non-banking intents) and
extra examples for the phone-line intents it shares with us (greeting, yes, no, maybe as
`dont_know`, ...), `account_lookup` (balance, transactions, spending history),
and its bank questions that mean the same as a Banking77 intent (CLINC_TO_OURS).
Test splits are never read here. Output is deterministic: same inputs, same bytes.

    python -m nlu.convert --datasets nlu/datasets --out build/nlu-data
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import re
from collections import defaultdict
from pathlib import Path

BANKING77_TRAIN = Path("banking77") / "train.csv"
CLINC = Path("clinc150") / "data_full.json"

# CLINC150 intents that are ours: the phone line's, and questions only the caller's account
# can answer (Banking77 has none: "what's my balance" was out of scope).
CLINC_TO_OURS = {
    "greeting": "greet",
    "goodbye": "goodbye",
    "thank_you": "thanks",
    "yes": "affirm",
    "no": "deny",
    "repeat": "repeat",
    "are_you_a_bot": "bot_challenge",
    "maybe": "dont_know",  # "i'm unsure", "no idea", "maybe, maybe not"
    "balance": "account_lookup",
    "transactions": "account_lookup",
    "spending_history": "account_lookup",
    # "freeze my account": the card security team's urgent answer (Banking77 labels its few
    # such sentences compromised_card); before, terminate_account.
    "freeze_account": "compromised_card",
    # The same question in CLINC150's words as in Banking77's (tests/nlu/test_clinc_bank.py
    # measures each on CLINC150's unseen test sentences).
    "report_lost_card": "lost_or_stolen_card",
    "report_fraud": "card_payment_not_recognised",
    "card_declined": "declined_card_payment",
    "damaged_card": "card_not_working",
    "pin_change": "change_pin",
    "international_fees": "card_payment_fee_charged",
    "exchange_rate": "exchange_rate",
}
# CLINC150 training examples that do not mean what we map their label to (dropped): a
# mislabelled one, and `maybe` answers that name options ("it could be either", "both would
# work"), which are not "I don't know" (at an either/or question the form reads them).
CLINC_MISLABELLED = {("how is the weather today", "maybe")}
NAMES_OPTIONS = re.compile(r"\b(either|neither|both|one or the other)\b")
# CLINC150 intents a bank's caller would use (its banking and credit-card domains and a few
# money-related ones).
CLINC_BANK_INTENTS = (
    "transfer", "transactions", "balance", "freeze_account", "pay_bill", "bill_balance",
    "bill_due", "interest_rate", "routing", "min_payment", "order_checks", "pin_change",
    "report_fraud", "account_blocked", "spending_history", "credit_score", "report_lost_card",
    "credit_limit", "rewards_balance", "new_card", "application_status", "card_declined",
    "international_fees", "apr", "redeem_rewards", "credit_limit_change", "damaged_card",
    "replacement_card_duration", "improve_credit_score", "expiration_date", "exchange_rate",
    "direct_deposit", "travel_notification",
)
# ... those, and intents that are ambiguous on a phone line: never used as out_of_scope.
CLINC_NOT_OUT_OF_SCOPE = {
    *CLINC_BANK_INTENTS, "maybe", "cancel", "what_can_i_ask_you",
    "who_do_you_work_for", "user_name", "change_user_name", *CLINC_TO_OURS,
}
ENTITY_SYNTAX = re.compile(r"[\[\]{}]")


def clean(text: str) -> str:
    """One line, no characters Rasa would read as entity annotations."""
    return " ".join(ENTITY_SYNTAX.sub(" ", text).split())


def read_banking77(datasets: Path) -> dict[str, list[str]]:
    """Banking77 training examples by category."""
    by_intent: dict[str, list[str]] = defaultdict(list)
    with (datasets / BANKING77_TRAIN).open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            by_intent[row["category"]].append(clean(row["text"]))
    return dict(by_intent)


def read_clinc(datasets: Path, oos_per_intent: int, seed: int) -> dict[str, list[str]]:
    """out_of_scope and phone-line examples from CLINC150's training split."""
    data = json.loads((datasets / CLINC).read_text(encoding="utf-8"))
    by_label: dict[str, list[str]] = defaultdict(list)
    for text, label in data["train"]:
        if (text, label) in CLINC_MISLABELLED or (label == "maybe" and NAMES_OPTIONS.search(text)):
            continue
        by_label[label].append(clean(text))
    out: dict[str, list[str]] = defaultdict(list)
    out["out_of_scope"] = [clean(text) for text, _ in data["oos_train"]]
    rng = random.Random(seed)
    for label in sorted(by_label):
        if label in CLINC_TO_OURS:
            out[CLINC_TO_OURS[label]].extend(by_label[label])
        elif label not in CLINC_NOT_OUT_OF_SCOPE and oos_per_intent > 0:
            out["out_of_scope"].extend(rng.sample(by_label[label], oos_per_intent))
    return dict(out)


def deduplicate(sets: dict[str, list[str]]) -> dict[str, list[str]]:
    """Drop repeats, and texts that appear under two intents (they only teach noise)."""
    owners: dict[str, set[str]] = defaultdict(set)
    for intent, texts in sets.items():
        for text in texts:
            owners[text.lower()].add(intent)
    result = {}
    for intent, texts in sets.items():
        seen: set[str] = set()
        keep = []
        for text in texts:
            key = text.lower()
            if text and key not in seen and len(owners[key]) == 1:
                seen.add(key)
                keep.append(text)
        result[intent] = keep
    return result


def to_yaml(sets: dict[str, list[str]], source: str) -> str:
    """Rasa 3 NLU YAML with one block per intent."""
    lines = [
        'version: "3.1"',
        f"# Generated by `python -m nlu.convert` from {source}. Do not edit: edit the",
        "# conversion or add examples under nlu/data/ instead.",
        "nlu:",
    ]
    for intent in sets:
        lines.append(f"  - intent: {json.dumps(intent)}")
        lines.append("    examples: |")
        lines.extend(f"      - {text}" for text in sets[intent])
    return "\n".join(lines) + "\n"


def convert(datasets: Path, out_dir: Path, oos_per_intent: int = 8, seed: int = 7) -> list[Path]:
    """Write banking77.yml and clinc150.yml into out_dir; returns the files written."""
    banking = read_banking77(datasets)
    clinc = read_clinc(datasets, oos_per_intent, seed)
    merged = deduplicate({**banking, **{f"clinc:{k}": v for k, v in clinc.items()}})
    out_dir.mkdir(parents=True, exist_ok=True)
    files = {
        out_dir / "banking77.yml": (
            {k: v for k, v in merged.items() if not k.startswith("clinc:")},
            "Banking77 train.csv (CC BY 4.0)",
        ),
        out_dir / "clinc150.yml": (
            {k[6:]: v for k, v in merged.items() if k.startswith("clinc:")},
            "CLINC150 data_full.json train + oos_train (CC BY 3.0)",
        ),
    }
    written = []
    for path, (sets, source) in files.items():
        text = to_yaml(sets, source)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=Path, default=Path("nlu/datasets"))
    parser.add_argument("--out", type=Path, default=Path("build/nlu-data"))
    parser.add_argument("--oos-per-intent", type=int, default=8)
    args = parser.parse_args(argv)
    for path in convert(args.datasets, args.out, args.oos_per_intent):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
