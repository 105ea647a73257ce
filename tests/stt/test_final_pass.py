"""The final pass's queue: finals a caller waits for go before speculative guesses."""

from __future__ import annotations

import pytest

from stt.final_pass import PROMPTS, SPECULATIVE, URGENT, FinalPass
from tests.stt.fake_decoder import GatedDecoder


def pcm(job: int) -> bytes:
    return bytes(job * 16 * 2)  # job*16 samples at 8 kHz: the decoder sees job*32 at 16 kHz


@pytest.fixture
def queue():
    decoder = GatedDecoder()
    final_pass = FinalPass(decoder)
    yield final_pass, decoder
    decoder.gate.set()
    final_pass.close()


def test_urgent_finals_overtake_queued_guesses(queue) -> None:
    final_pass, decoder = queue
    running = final_pass.submit(pcm(1), 8000, "text", SPECULATIVE)
    assert decoder.started.wait(5)
    guesses = [final_pass.submit(pcm(n), 8000, "text", SPECULATIVE) for n in (2, 3)]
    final = final_pass.submit(pcm(4), 8000, "text", URGENT)
    decoder.gate.set()
    assert final.future.result(5).text == "job 4"
    for job in (running, *guesses):
        job.future.result(5)
    assert decoder.order == [1, 4, 2, 3]


def test_a_hurried_guess_runs_before_other_guesses_and_only_once(queue) -> None:
    final_pass, decoder = queue
    final_pass.submit(pcm(1), 8000, "text", SPECULATIVE)
    assert decoder.started.wait(5)
    other = final_pass.submit(pcm(2), 8000, "text", SPECULATIVE)
    mine = final_pass.submit(pcm(3), 8000, "text", SPECULATIVE)
    final_pass.hurry(mine)
    decoder.gate.set()
    assert mine.future.result(5).text == "job 3"
    other.future.result(5)
    final_pass.submit(pcm(5), 8000, "text", URGENT).future.result(5)
    assert decoder.order == [1, 3, 2, 5]


def test_a_dropped_guess_is_never_decoded(queue) -> None:
    final_pass, decoder = queue
    final_pass.submit(pcm(1), 8000, "text", SPECULATIVE)
    assert decoder.started.wait(5)
    dropped = final_pass.submit(pcm(2), 8000, "text", SPECULATIVE)
    assert dropped.future.cancel()
    decoder.gate.set()
    final_pass.submit(pcm(3), 8000, "text", URGENT).future.result(5)
    assert decoder.order == [1, 3]


def test_a_failing_decode_fails_its_own_job_only(queue) -> None:
    final_pass, decoder = queue
    decoder.gate.set()
    bad = final_pass.submit(pcm(99), 8000, "text", URGENT)
    good = final_pass.submit(pcm(7), 8000, "digits", URGENT)
    with pytest.raises(RuntimeError, match="fails"):
        bad.future.result(5)
    assert good.future.result(5).text == "job 7 " + PROMPTS["digits"].rstrip(".")
