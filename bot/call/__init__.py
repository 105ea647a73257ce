"""The call core: one call from greeting to hangup, whatever channel it came in on.

`session.CallSession` owns the call's state (`state.CallState`); the listener (ears), the
dialogue (thinking), the speaker (voice), the handoff desk and the agent bridge act on the
call only through its methods. `runner` starts one session per call; `services` is what
every call in the process shares; `records` is the call history in SQLite.
"""
