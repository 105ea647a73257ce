"""The voice bot: server, channels, call sessions, configuration, CLI and metrics."""
