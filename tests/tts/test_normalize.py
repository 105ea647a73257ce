"""Text normalisation for the ear, and sentence splitting."""

from __future__ import annotations

import pytest

from tts.normalize import Normalizer, normalize, read_digits
from tts.sentences import split_sentences


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        ("$12.50", "twelve dollars and fifty cents"),
        ("$1", "one dollar"),
        ("$0.01", "one cent"),
        ("$1,234.05", "one thousand two hundred and thirty-four dollars and five cents"),
        ("-$5", "minus five dollars"),
        ("£20", "twenty pounds"),
        ("€3.5m", "three point five million euros"),
        ("$2 million", "two million dollars"),
    ],
)
def test_amounts(text: str, spoken: str) -> None:
    assert normalize(f"It is {text}.") == f"It is {spoken}."


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        ("CMP-2024-00123", "C M P, two zero two four, zero zero one, two three"),
        ("12345678", "one two three four, five six seven eight"),
        ("5551234567", "five five five, one two three, four five six seven"),
        ("+1 (555) 123-4567", "one, five five five, one two three, four five six seven"),
        ("AB12", "ay B, one two"),
    ],
)
def test_reference_numbers_are_read_digit_by_digit_in_groups(text: str, spoken: str) -> None:
    assert normalize(f"Your number is {text}.") == f"Your number is {spoken}."


def test_digit_groups_never_leave_a_lonely_digit() -> None:
    for n in range(5, 20):
        groups = read_digits("7" * n).split(", ")
        assert all(2 <= len(g.split()) <= 4 for g in groups), (n, groups)
        assert sum(len(g.split()) for g in groups) == n


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        ("2025-03-04", "March fourth, twenty twenty-five"),
        ("03/04/2025", "March fourth, twenty twenty-five"),
        ("March 4th, 2025", "March fourth, twenty twenty-five"),
        ("Jan 21", "January twenty-first"),
        ("4 March 2025", "the fourth of March, twenty twenty-five"),
    ],
)
def test_dates(text: str, spoken: str) -> None:
    assert normalize(f"Due {text}.") == f"Due {spoken}."


def test_day_month_order_is_configurable() -> None:
    assert Normalizer("dmy")("Due 03/04/2025.") == "Due April third, twenty twenty-five."
    with pytest.raises(ValueError, match="date_order"):
        Normalizer("ymd")


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        ("9am", "nine AM"),
        ("9:05 p.m.", "nine oh five PM"),
        ("14:30", "two thirty PM"),
        ("08:00", "eight AM"),
        ("12:00", "noon"),
        ("Mon-Fri 08:00-20:00", "Monday to Friday eight AM to eight PM"),
    ],
)
def test_times(text: str, spoken: str) -> None:
    assert normalize(f"Open {text}.") == f"Open {spoken}."


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        ("Dr. Smith lives on St. James St. now.", "Doctor Smith lives on Saint James Street now."),
        ("Bring ID, e.g. a passport.", "Bring ID, for example a passport."),
        ("Wait 10 mins. Then call.", "Wait ten minutes. Then call."),
        ("Cards & loans, 24/7.", "Cards and loans, twenty-four seven."),
        ("It is No. 5.", "It is number five."),
        ("Rates rose 3.5% for 1st-time buyers.", "Rates rose three point five percent for first-time buyers."),
        ("It takes 3-5 days, since 2020-2024.", "It takes three to five days, since twenty twenty to twenty twenty-four."),
        ("We have 1,200 branches and 42 ATMs.", "We have one thousand two hundred branches and forty-two ATMs."),
    ],
)
def test_abbreviations_and_numbers(text: str, spoken: str) -> None:
    assert normalize(text) == spoken


def test_plain_text_is_left_alone() -> None:
    text = "Hello, how can I help you today?"
    assert normalize(text) == text


def test_sentences_and_short_first_chunk() -> None:
    text = (
        "Thank you for calling the bank, and sorry for the wait today, we are busy. "
        "Your card is on its way! Anything else?"
    )
    assert split_sentences(text, first_max_words=10) == [
        "Thank you for calling the bank,",
        "and sorry for the wait today, we are busy.",
        "Your card is on its way!",
        "Anything else?",
    ]
    assert split_sentences(text, first_max_words=0)[0].endswith("we are busy.")
    # No clause boundary: the first sentence stays whole rather than cut mid-phrase.
    long = "I can help you with cards and payments and transfers and loans today."
    assert split_sentences(long, first_max_words=5) == [long]
    # ... unless it reads a number back: the lead-in (cacheable) goes first, the number after.
    balance = "Your balance is one thousand two hundred and thirty-four dollars and fifty-six cents."
    assert split_sentences(balance, first_max_words=10) == [
        "Your balance is", "one thousand two hundred and thirty-four dollars and fifty-six cents."]
    ref = "Your reference number is C M P two zero two four zero zero one two three."
    assert split_sentences(ref, first_max_words=10)[0] == "Your reference number is"
    # ... before a digit group's comma within reach (the groups as the normaliser writes them).
    grouped = normalize("Your reference number is CMP-2024-00123.")
    assert split_sentences(grouped, first_max_words=10)[0] == "Your reference number is"
    phone = normalize("We will call you back on 555-123-4567.")
    assert split_sentences(phone, first_max_words=10)[:2] == [
        "We will call you back on", "five five five, one two three, four five six seven."]
    # ... but never inside the number: with too short a lead-in, after its whole units.
    amount = "That's eight thousand nine hundred and seventeen dollars and sixteen cents on May first."
    assert split_sentences(amount, first_max_words=10) == [
        "That's eight thousand nine hundred and seventeen dollars", "and sixteen cents on May first."]
    plain = "I can put you through to one of our specialists who can help with that today."
    assert split_sentences(plain, first_max_words=10) == [plain]


def test_sentence_split_ignores_empty_pieces() -> None:
    assert split_sentences("  ...  \n\n Hello.  ") == ["Hello."]
    assert split_sentences("") == []
