"""Custom actions, run in the bot's own process (see nlu/inprocess.py), not by an action server.

Actions tell the phone line what to do with JSON messages next to the spoken text:
`{"handoff": {"reason": ..., "priority": ...}}`, `{"end_call": true}`, `{"ticket": {...}}`
and `{"expect": "digits" | "yes_no" | "text"}`. The engine turns them into a BotTurn.
"""

from nlu.actions import clarify, complaint, phone  # noqa: F401 - registers the actions
