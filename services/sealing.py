"""Face templates sealed at rest: AES-256-GCM under FACE_KEY, which never enters the database.

A sealed template is ``version (1 byte) | key id (4) | nonce (12) | ciphertext + tag``. The
owner's user id is the associated data, so a sealed template copied onto another account's
row does not open. The key id tells a template sealed under another key from a tampered one.
Knows nothing of Flask: callers pass the key (config.Rules.face_key).
"""
import functools
import hashlib
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

VERSION = b"\x01"
KEY_BYTES = 32
NONCE_BYTES = 12
HEADER = 1 + 4 + NONCE_BYTES


class KeyMismatch(RuntimeError):
    """A template that this key cannot open: sealed under another key, or altered."""


def parse_key(text):
    """FACE_KEY as written in the environment or instance/face_key: 64 hex digits."""
    try:
        key = bytes.fromhex(text.strip())
    except ValueError:
        key = b""
    if len(key) != KEY_BYTES:
        raise ValueError("FACE_KEY must be 64 hex digits (32 random bytes), e.g. from "
                         "python -c 'import secrets; print(secrets.token_hex(32))'")
    return key


def new_key_text():
    return os.urandom(KEY_BYTES).hex()


@functools.lru_cache(maxsize=8)
def _cipher(key):
    """(the AEAD, the header every template sealed under this key starts with)."""
    return AESGCM(key), VERSION + hashlib.sha256(key).digest()[:4]


def _associated(owner_id):
    return b"rollcall-face:%d" % owner_id


def seal(key, owner_id, plaintext):
    cipher, prefix = _cipher(key)
    nonce = os.urandom(NONCE_BYTES)
    return prefix + nonce + cipher.encrypt(nonce, plaintext, _associated(owner_id))


def unseal(key, owner_id, sealed):
    cipher, prefix = _cipher(key)
    if not isinstance(sealed, bytes):  # psycopg2 hands out memoryviews
        sealed = bytes(sealed)
    if not sealed.startswith(prefix):
        raise KeyMismatch("A face template is not sealed under this FACE_KEY; set the key it was sealed "
                          "with, or run `flask --app app privacy rotate-key` with it.")
    try:
        return cipher.decrypt(sealed[5:HEADER], sealed[HEADER:], _associated(owner_id))
    except InvalidTag:
        raise KeyMismatch(f"The face template of user {owner_id} fails authentication: it was altered "
                          "or moved from another account.") from None
