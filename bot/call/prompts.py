"""Fixed lines the call says itself, rendered ahead of time so they work when a stage fails.

Every line here is in `ALL`, so each is pre-rendered for every channel format at start-up.
The apology is said the same way wherever something breaks (the dialogue, speech, the
recognizer, the handoff, an agent's line): one wording, one pre-rendered audio.
"""

APOLOGY = "I'm sorry, something went wrong on our side. Let me get you to a colleague."
NO_INPUT_GOODBYE = "I haven't heard anything, so I'll end the call now. Please call back any time. Goodbye."
MAX_CALL_GOODBYE = "We've reached the time limit for this call. Please call back if you need more help. Goodbye."
SHUTDOWN_GOODBYE = "I'm sorry, our line has to close now. Please call back in a moment. Goodbye."
LINES_BUSY = "I'm sorry, all our lines are busy right now. Please call again in a few minutes. Goodbye."
GOODBYE = "Thank you for calling. Goodbye."

# The handoff desk: transfer, queue and hold, callbacks.
CONNECTING = "Please hold while I connect you to a colleague."
NO_AGENT_TRANSFER = "I'm sorry, I can't connect you to a colleague right now. Please call back later. Goodbye."
OFFER_CALLBACK = "If you'd rather not wait, press 1 or say call me back."
CALLBACK_BOOKED = "Thank you. We'll call you back as soon as a colleague is free. Goodbye."
CLOSED = ("Our colleagues are not available right now. I can arrange for someone to call you "
          "back: press 1 or say call me back. Otherwise, please call again during opening hours.")
STORE_DOWN = ("I'm sorry, I can't put you through to a colleague right now because of a technical "
              "problem. I've kept your details, and a colleague will call you back as soon as "
              "possible. Goodbye.")

# The agent bridge.
HANDED_BACK = "You're back with the automated assistant. What else can I help you with?"

ALL = [APOLOGY, NO_INPUT_GOODBYE, MAX_CALL_GOODBYE, SHUTDOWN_GOODBYE, LINES_BUSY, GOODBYE,
       CONNECTING, NO_AGENT_TRANSFER, OFFER_CALLBACK, CALLBACK_BOOKED, CLOSED, STORE_DOWN,
       HANDED_BACK]
