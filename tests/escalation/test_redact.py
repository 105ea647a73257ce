from escalation.context import build_context
from escalation.redact import luhn_valid, redact, redact_slots, spoken_digits


def test_luhn():
    assert luhn_valid("4111111111111111")
    assert luhn_valid("5500005555555559")
    assert not luhn_valid("4111111111111112")
    assert not luhn_valid("41x1")


def test_card_numbers_typed_and_spoken():
    assert redact("card 4111 1111 1111 1111 ok") == "card [CARD ****1111] ok"
    assert redact("it's 4111-1111-1111-1111") == "it's [CARD ****1111]"
    spoken = "my number is four one one one one one one one one one one one one one one one"
    assert redact(spoken) == "my number is [CARD ****1111]"
    assert spoken_digits("five five double oh triple five 5 5 5 5 5 5 9") == "55005555555559"
    # A sixteen-digit number that fails Luhn is still masked, never shown.
    assert "4111" not in redact("4111 1111 1111 1112")


def test_cvv_sort_code_account_pin_and_dates_of_birth():
    assert redact("the security code is 123") == "the security code is [CVV]"
    assert redact("CVV seven three one") == "CVV [CVV]"
    assert redact("card 4111111111111111 and the code is 123") == "card [CARD ****1111] and the code is [CVV]"
    assert redact("sort code 12-34-56 account 12345678") == "sort code [SORT CODE] account [ACCOUNT]"
    assert redact("sort code one two three four five six") == "sort code [SORT CODE]"
    assert redact("my account number is one two three four five six seven eight") == \
        "my account number is [ACCOUNT]"
    assert redact("my PIN is double four one two") == "my PIN is [PIN]"
    assert redact("date of birth 12/05/1980") == "date of birth [DATE OF BIRTH]"
    assert redact("I was born on the 3rd of March 1975.") == "I was born on the [DATE OF BIRTH]."
    assert redact("born march third nineteen seventy five") == "born [DATE OF BIRTH]"


def test_ordinary_numbers_and_words_stay():
    for text in ("I paid 12/05/2024 for one thing", "complaint C-12345", "I need two cards",
                 "someone took 40 pounds", "call me on 07700 900123"):
        assert redact(text) == text


def test_slots_and_context_are_redacted():
    slots = redact_slots({"account_reference": "12345678", "description": "card 4111111111111111",
                          "category": "fees", "amount": 40})
    assert slots == {"account_reference": "****5678", "description": "card [CARD ****1111]",
                     "category": "fees", "amount": 40}
    ctx = build_context(
        "c1", "+441234", "twilio", "complaint", "complaint", "make_complaint", 0.91,
        {"category": "fees", "account_reference": "12345678"},
        [("bot", "How can I help?"), ("caller", "I was charged twice, my card is 4111 1111 1111 1111")],
    )
    assert ctx.transcript[1]["text"].endswith("[CARD ****1111]")
    assert ctx.summary.count(". ") == 1 and ctx.summary.endswith(".")
    assert "make complaint" in ctx.summary and "91%" in ctx.summary
    assert "4111 1111" not in ctx.summary and "****5678" in ctx.summary
    assert build_context("c2", "", "web", "x", "bogus").priority == "normal"


def test_a_sensitive_slot_value_is_masked_however_it_is_said_or_read_back() -> None:
    from escalation.redact import redact_values

    account = ["12345678"]
    assert redact_values("12345678", account) == "[ACCOUNT NUMBER]"
    assert redact_values("one two three four five six seven eight", account) == "[ACCOUNT NUMBER]"
    said = redact_values("I have 1, 2, 3, 4, 5, 6, 7, 8. Is that right?", account)
    assert said == "I have [ACCOUNT NUMBER]. Is that right?"
    # Other numbers, short ones, and text without the value stay as they are.
    assert redact_values("it cost 25 pounds on the 3rd", account) == "it cost 25 pounds on the 3rd"
    assert redact_values("my number ends 9999", account) == "my number ends 9999"
    assert redact_values("12345678", []) == "12345678"
