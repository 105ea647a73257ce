"""Voice regression scenarios: YAML conversations placed as real calls, checked against the bot's record."""
