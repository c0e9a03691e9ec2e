"""Passwords and login tokens."""
import hashlib
import secrets
import threading
import time
from collections import defaultdict, deque
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from models import FaceEncoding, Token, User, db
from services import clock
from services.errors import Conflict, TooManyAttempts, Unauthorized

PASSWORD_METHOD = "scrypt:32768:8:1"
# Verified against when the email is unknown, so a miss costs as long as a wrong password.
_DUMMY_HASH = generate_password_hash("rollcall-dummy", method=PASSWORD_METHOD)


def digest(raw_token):
    return hashlib.sha256(raw_token.encode("utf-8")).hexdigest()


def issue_token(user, ttl_seconds):
    """Adds a new token for ``user`` and returns the raw value, which only the client keeps."""
    raw = secrets.token_urlsafe(32)  # 256 bits
    now = clock.utc_naive()
    if user.id is not None:  # housekeeping: a user's expired tokens go when a new one comes
        db.session.execute(delete(Token).where(Token.user_id == user.id, Token.expires_at <= now))
    db.session.add(Token(user=user, digest=digest(raw), created_at=now,
                         expires_at=now + timedelta(seconds=ttl_seconds)))
    return raw, now + timedelta(seconds=ttl_seconds)


def register(role, email, name, password, encoding, ttl_seconds):
    user = User(email=email, role=role, name=name, created_at=clock.utc_naive(),
                password_hash=generate_password_hash(password, method=PASSWORD_METHOD))
    user.faces.append(FaceEncoding(encoding=encoding.tobytes(), created_at=user.created_at))
    db.session.add(user)
    try:
        db.session.flush()
    except IntegrityError:
        raise Conflict("An account with this email already exists; log in instead.",
                       code="email_taken") from None
    return user, issue_token(user, ttl_seconds)


MAX_FACES = 10


def add_face(user, encoding):
    """Enrolls one more photo of ``user``; matching then uses the closest of their faces."""
    if len(user.faces) >= MAX_FACES:
        raise Conflict(f"You already have {MAX_FACES} faces enrolled, the most allowed.", code="too_many_faces")
    user.faces.append(FaceEncoding(encoding=encoding.tobytes(), created_at=clock.utc_naive()))
    db.session.flush()


class LoginThrottle:
    """Counts recent failed logins per account and per client address, in this process."""

    def __init__(self, limit=10, window_seconds=900):
        self.limit, self.window = limit, window_seconds
        self._failures = defaultdict(deque)
        self._lock = threading.Lock()

    def _recent(self, key, now):
        failures = self._failures[key]
        while failures and failures[0] < now - self.window:
            failures.popleft()
        return failures

    def check(self, *keys):
        now = time.monotonic()
        with self._lock:
            if any(len(self._recent(k, now)) >= self.limit for k in keys):
                raise TooManyAttempts("Too many failed logins; wait 15 minutes and try again.")

    def failed(self, *keys):
        now = time.monotonic()
        with self._lock:
            for key in keys:
                self._recent(key, now).append(now)

    def succeeded(self, account_key):
        with self._lock:
            self._failures.pop(account_key, None)


def login(role, email, password, ttl_seconds, throttle, client_address):
    account_key, address_key = ("account", role, email), ("address", client_address)
    throttle.check(account_key, address_key)
    user = db.session.scalar(select(User).where(User.email == email, User.role == role))
    if not check_password_hash(user.password_hash if user else _DUMMY_HASH, password) or user is None:
        throttle.failed(account_key, address_key)
        raise Unauthorized("Wrong email or password.", code="bad_credentials")
    throttle.succeeded(account_key)
    return user, issue_token(user, ttl_seconds)


def user_for_token(raw_token):
    if not raw_token:
        raise Unauthorized("Log in first: send the token field or an Authorization: Bearer header.",
                           code="token_missing")
    # Token and owner in one query: every authenticated request starts here.
    found = db.session.execute(select(User, Token.expires_at).join(Token, Token.user_id == User.id)
                               .where(Token.digest == digest(raw_token))).first()
    if found is None:
        raise Unauthorized("This token is not valid; log in again.", code="token_invalid")
    user, expires_at = found
    if expires_at <= clock.utc_naive():
        raise Unauthorized("This token has expired; log in again.", code="token_expired")
    return user


def logout(raw_token):
    db.session.execute(delete(Token).where(Token.digest == digest(raw_token)))
