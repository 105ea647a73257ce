"""Pauses between digit groups survive the cut of a long first sentence (real espeak-ng)."""

from __future__ import annotations

from pathlib import Path

from tts.formats import output_format
from tts.pauses import group_continues

from .conftest import make_service


def test_group_continues_only_across_a_cut_between_digit_groups() -> None:
    assert group_continues("Your reference number is C M P,", "two zero two four, zero zero one.")
    assert group_continues("The number I have is one two three four,", "five six seven eight.")
    assert not group_continues("Thanks for calling,", "how can I help?")
    assert not group_continues("Your reference number is C M P.", "two zero two four.")


async def test_a_first_sentence_cut_at_a_digit_group_keeps_the_pause_after_that_group(
    tmp_path: Path,
) -> None:
    pause_ms = 250
    service = make_service(tmp_path / "cache", group_pause_ms=pause_ms, first_max_words=10)
    await service.start()
    try:
        # Too short a lead-in to cut before the read-back, so the cut is at a group's comma.
        text = "It is 555-123-4567, is that right?"
        sentences = service.plan(text)
        assert sentences[0] == "It is five five five, one two three,"
        chunks = [chunk async for chunk in service.stream(text, "mulaw8k")]
        spec = output_format("mulaw8k")
        silence = spec.silence * (spec.sample_rate * pause_ms // 1000)
        groups = ["It is five five five", "one two three,", "four five six seven, is that right?"]
        assert len(chunks) == len(groups)
        for i, (chunk, group) in enumerate(zip(chunks, groups)):
            spoken = await service.render_sentence(group, "mulaw8k")  # the same cached audio
            assert chunk == spoken + (silence if i < len(groups) - 1 else b""), group
    finally:
        await service.close()
