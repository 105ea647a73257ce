"""A real-time caller: dials the bot over the Twilio protocol (for `voicebot call`, tests, benchmarks)."""
