"""Encryption at rest of recordings: Fernet (AES-128-CBC with HMAC-SHA256) from `cryptography`."""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken


class WrongKey(Exception):
    """The recording cannot be decrypted with the configured key (or none is configured)."""


def new_key() -> str:
    return Fernet.generate_key().decode()


def encrypt(key: str, data: bytes) -> bytes:
    return Fernet(key.encode()).encrypt(data)


def decrypt(key: str, data: bytes) -> bytes:
    if not key:
        raise WrongKey("the recording is encrypted and recording.encryption_key is not set")
    try:
        return Fernet(key.encode()).decrypt(data)
    except InvalidToken:
        raise WrongKey("recording.encryption_key does not decrypt this recording") from None
