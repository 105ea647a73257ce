"""Logging: readable or JSON lines, the call id on every line, card numbers masked."""

from __future__ import annotations

import json
import logging

from bot.log import call_id_var, setup_logging


def test_json_lines_carry_the_call_id(capsys) -> None:
    setup_logging("INFO", json_lines=True)
    token = call_id_var.set("CA123")
    try:
        logging.getLogger("bot.test").info("caller said %s", "hello")
    finally:
        call_id_var.reset(token)
    line = capsys.readouterr().err.strip().splitlines()[-1]
    record = json.loads(line)
    assert record["call_id"] == "CA123"
    assert record["message"] == "caller said hello"
    assert record["level"] == "INFO"


def test_text_lines_show_the_call_id_and_dash_outside_calls(capsys) -> None:
    setup_logging("INFO", json_lines=False)
    logging.getLogger("bot.test").info("outside any call")
    token = call_id_var.set("web-42")
    try:
        logging.getLogger("bot.test").info("inside a call")
    finally:
        call_id_var.reset(token)
    lines = capsys.readouterr().err.strip().splitlines()
    assert "[call=-] outside any call" in lines[-2]
    assert "[call=web-42] inside a call" in lines[-1]


def test_card_numbers_never_reach_the_log(capsys) -> None:
    setup_logging("INFO", json_lines=False)
    logging.getLogger("bot.test").info("caller said: my card is %s", "4111 1111 1111 1111")
    logging.getLogger("bot.test").info("caller said: four one one one one one one one one one one one one one one one")
    err = capsys.readouterr().err
    assert "4111 1111 1111 1111" not in err
    assert "four one one one one one" not in err
    assert err.count("****1111") == 2
