"""Passwords, logins and login tokens."""
import functools
import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import delete, select
from werkzeug.security import check_password_hash, generate_password_hash

from models import Token, User, db
from services import clock
from services.errors import Forbidden, Unauthorized


def hash_password(password, method):
    return generate_password_hash(password, method=method)


@functools.lru_cache(maxsize=4)
def _dummy_hash(method):
    """Verified against when the email is unknown, so a miss costs as long as a wrong password."""
    return hash_password("rollcall-dummy", method)


def digest(raw_token):
    return hashlib.sha256(raw_token.encode("utf-8")).hexdigest()


def issue_token(user, ttl_seconds):
    """Adds a new token for ``user`` and returns (the raw value, which only the client keeps,
    and its expiry)."""
    raw = secrets.token_urlsafe(32)  # 256 bits
    now = clock.utc_naive()
    if user.id is not None:  # housekeeping: a user's expired tokens go when a new one comes
        db.session.execute(delete(Token).where(Token.user_id == user.id, Token.expires_at <= now))
    expires_at = now + timedelta(seconds=ttl_seconds)
    db.session.add(Token(user=user, digest=digest(raw), created_at=now, expires_at=expires_at))
    return raw, expires_at


def login(role, email, password, rules, throttle, client_address):
    """The user with this email, role and password, and a new token for them.

    ``throttle`` (services.limits.Throttles) counts the attempt, per account and per client
    address, before the password is checked; a success gives the address's turn back.
    """
    throttle.login_attempt(role, email, client_address)
    user = db.session.scalar(select(User).where(User.email == email, User.role == role, User.status != "erased"))
    stored = user.password_hash if user else _dummy_hash(rules.password_method)
    if not check_password_hash(stored, password) or user is None:
        raise Unauthorized("Wrong email or password.", code="bad_credentials")
    throttle.login_succeeded(role, email, client_address)
    if user.status == "pending_approval":
        raise Forbidden("Your account is waiting for an administrator's approval; you can log in once "
                        "it is approved.", code="pending_approval")
    check_active(user)
    user.last_seen_at = clock.utc_naive()
    return user, issue_token(user, rules.token_ttl)


def check_active(user):
    if user.status == "suspended":
        raise Forbidden("This account is suspended; ask the school's administrators.", code="suspended")
    if user.status != "active":
        raise Unauthorized("This token is not valid; log in again.", code="token_invalid")


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
    check_active(user)  # a suspension takes effect on the very next request
    return user


def logout(raw_token):
    db.session.execute(delete(Token).where(Token.digest == digest(raw_token)))


def prune_expired_tokens():
    """Deletes every expired token; returns how many."""
    return db.session.execute(delete(Token).where(Token.expires_at <= clock.utc_naive())).rowcount
