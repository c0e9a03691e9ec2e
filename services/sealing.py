"""Face templates sealed at rest: AES-256-GCM under FACE_KEY, which never enters the database.

A sealed template is ``version (1 byte) | key id (4) | nonce (12) | ciphertext + tag``. The
owner's user id is the associated data, so a sealed template copied onto another account's
row does not open. The key id tells a template sealed under another key from a tampered one,
and picks the key that opens it from a key ring.

A key ring (``KeyRing``) is FACE_KEY's keys, newest first: the first seals, every one opens.
Read from a file (instance/face_key), the ring follows the file: a server re-reads it when it
changed, before sealing and when a template names a key it does not hold, so `privacy
rotate-key` takes effect on running servers without a restart and nothing fails meanwhile.
Knows nothing of Flask: callers pass the key or the ring (config.Rules.face_key).
"""
import functools
import hashlib
import os
import re
import threading

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


def parse_ring(text):
    """FACE_KEY's keys, newest (the sealing key) first: separated by commas or new lines."""
    keys = [parse_key(part) for part in re.split(r"[,\s]+", text.strip()) if part]
    if not keys:
        raise ValueError("FACE_KEY holds no key")
    return tuple(dict.fromkeys(keys))


def key_id(key):
    return hashlib.sha256(key).digest()[:4]


class KeyRing:
    """The keys that open templates, the first of which seals; from a file, kept in step with it."""

    def __init__(self, keys=(), path=None):
        self.path, self._lock = path, threading.Lock()
        self._keys, self._stamp = tuple(keys), None
        if path is not None:
            self._reload(force=True)

    @classmethod
    def of(cls, key):
        """A ring from a ring, or from one key (bytes), as callers and tests pass them."""
        return key if isinstance(key, KeyRing) else cls((key,))

    def _reload(self, force=False):
        stat = os.stat(self.path)
        stamp = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
        if force or stamp != self._stamp:
            with self._lock:
                with open(self.path) as f:
                    self._keys = parse_ring(f.read())
                self._stamp = stamp

    def keys(self):
        if self.path is not None:
            self._reload()
        return self._keys

    def sealing_key(self):
        return self.keys()[0]

    def opening_key(self, wanted_id):
        """The key whose id a sealed template names, or None."""
        for key in self.keys():
            if key_id(key) == wanted_id:
                return key
        return None

    def __bool__(self):
        return bool(self._keys)

    def __repr__(self):  # never the keys themselves
        return f"KeyRing({len(self._keys)} keys{', from ' + str(self.path) if self.path else ''})"


@functools.lru_cache(maxsize=8)
def _cipher(key):
    """(the AEAD, the header every template sealed under this key starts with)."""
    return AESGCM(key), VERSION + hashlib.sha256(key).digest()[:4]


def _associated(owner_id):
    return b"rollcall-face:%d" % owner_id


def seal(key, owner_id, plaintext):
    """Seals under ``key``, or under a ring's newest key."""
    cipher, prefix = _cipher(KeyRing.of(key).sealing_key())
    nonce = os.urandom(NONCE_BYTES)
    return prefix + nonce + cipher.encrypt(nonce, plaintext, _associated(owner_id))


def sealed_key_id(sealed):
    return bytes(sealed[1:5])


def unseal(key, owner_id, sealed):
    """Opens a template with ``key``, or with the ring's key its header names."""
    if not isinstance(sealed, bytes):  # psycopg2 hands out memoryviews
        sealed = bytes(sealed)
    opening = KeyRing.of(key).opening_key(sealed_key_id(sealed)) if sealed[:1] == VERSION else None
    if opening is None:
        raise KeyMismatch("A face template is not sealed under any key of this FACE_KEY; add the key it was "
                          "sealed with, or run `flask --app app privacy rotate-key` with it.")
    cipher, _ = _cipher(opening)
    try:
        return cipher.decrypt(sealed[5:HEADER], sealed[HEADER:], _associated(owner_id))
    except InvalidTag:
        raise KeyMismatch(f"The face template of user {owner_id} fails authentication: it was altered "
                          "or moved from another account.") from None
