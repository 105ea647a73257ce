"""Fixed lines the call session says itself, rendered ahead of time so they work when a stage fails."""

APOLOGY = "I'm sorry, something went wrong on our side. Let me get you to a colleague."
NO_INPUT_GOODBYE = "I haven't heard anything, so I'll end the call now. Please call back any time. Goodbye."
MAX_CALL_GOODBYE = "We've reached the time limit for this call. Please call back if you need more help. Goodbye."
SHUTDOWN_GOODBYE = "I'm sorry, our line has to close now. Please call back in a moment. Goodbye."
CONNECTING = "Please hold while I connect you to a colleague."
LINES_BUSY = "I'm sorry, all our lines are busy right now. Please call again in a few minutes. Goodbye."
NO_AGENT_TRANSFER = "I'm sorry, I can't connect you to a colleague right now. Please call back later. Goodbye."

HANDED_BACK = "You're back with the automated assistant. What else can I help you with?"

ALL = [HANDED_BACK, APOLOGY, NO_INPUT_GOODBYE, MAX_CALL_GOODBYE, SHUTDOWN_GOODBYE, CONNECTING, NO_AGENT_TRANSFER,
       LINES_BUSY]
