"""Call recordings: two channels on the call's audio clock, consent, PCI pauses, retention.

`desk.RecordingDesk` is the process's one owner of recordings in progress; `call.CallRecording`
records one call (it sees the frames the channel receives and sends); `timeline.py` lays them
on the caller's clock; `files.py` writes FLAC on the writer thread; `library.py` reads, lists
and purges what is stored; `web.py` serves the supervisors' player.
"""
