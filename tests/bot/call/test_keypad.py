"""Keypad: single keys act at once; during number entry digits are collected until # or a pause."""

from __future__ import annotations

import asyncio

from bot.call.keypad import KeypadCollector


async def test_single_key_is_delivered_at_once() -> None:
    got: list[str] = []

    async def deliver(keys: str) -> None:
        got.append(keys)

    keypad = KeypadCollector(deliver)
    await keypad.press("0")
    assert got == ["0"]


async def test_number_entry_ends_with_hash() -> None:
    got: list[str] = []

    async def deliver(keys: str) -> None:
        got.append(keys)

    keypad = KeypadCollector(deliver)
    keypad.expect_number = True
    for key in "12345678#":
        await keypad.press(key)
    assert got == ["12345678"]


async def test_number_entry_ends_after_a_pause() -> None:
    got: list[str] = []

    async def deliver(keys: str) -> None:
        got.append(keys)

    keypad = KeypadCollector(deliver, inter_digit_s=0.1)
    keypad.expect_number = True
    for key in "4021":
        await keypad.press(key)
    assert got == []
    await asyncio.sleep(0.25)
    assert got == ["4021"]
    keypad.close()


async def test_non_keypad_characters_are_ignored() -> None:
    got: list[str] = []

    async def deliver(keys: str) -> None:
        got.append(keys)

    keypad = KeypadCollector(deliver)
    await keypad.press("x")
    await keypad.press("")
    assert got == []
