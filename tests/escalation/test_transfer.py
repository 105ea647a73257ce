import xml.etree.ElementTree as ET

import pytest

from escalation.transfer import TransferTargetError, dial_twiml, target_kind


def test_sip_target_carries_the_call_id_header():
    xml = dial_twiml("sip:agents@pbx.example.com", "CA12&3")
    dial = ET.fromstring(xml).find("Dial")
    assert dial.get("timeout") == "30"
    assert dial.find("Sip").text == "sip:agents@pbx.example.com?X-Voicebot-Call-Id=CA12%263"
    xml = dial_twiml("sip:a@pbx.example.com?x=1", "c1")
    assert ET.fromstring(xml).find("Dial/Sip").text.endswith("?x=1&X-Voicebot-Call-Id=c1")


def test_number_target_with_whisper_and_escaping():
    xml = dial_twiml("+44 (20) 7946-0000", "c1", whisper_url="https://bot.example/w?call_id=c1&x=<y>",
                     caller_id="+15550001")
    number = ET.fromstring(xml).find("Dial/Number")
    assert number.text == "+442079460000"
    assert number.get("url") == "https://bot.example/w?call_id=c1&x=<y>"
    assert ET.fromstring(xml).find("Dial").get("callerId") == "+15550001"


@pytest.mark.parametrize("bad", ["", "agent desk", "http://x", "+1<script>"])
def test_bad_targets(bad):
    with pytest.raises(TransferTargetError):
        target_kind(bad)
