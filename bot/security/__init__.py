"""Credentials, checks and HTTP guards: server keys, stream tokens, the deployment check."""
