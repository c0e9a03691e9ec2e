"""Rate limits: failed logins, face mismatches, registrations, a door kiosk's frames.

Counted with the ``limits`` library's moving window in the storage Flask-Limiter was given
(RATELIMIT_STORAGE_URI): one counter per key, shared by every worker and host that uses the
same storage, and each hit is atomic (a Lua script in Redis, a lock in memory). A refusal is
429 with a stable code and the seconds until the oldest counted attempt leaves the window.

Hit, then work: a limit is always taken before the work it guards (a password compared, a
face compared), so a burst of parallel requests gets at most the limit's number of units of
work. A limit that counts only failures (failed logins per address, face mismatches) gives
the turn back (``refund``) when the work turned out not to be a failure; while the work runs
the turn is held, so at most the limit's number of attempts are ever in flight.
"""
import logging
import math
import time

from limits import parse
from limits.storage import MemoryStorage, RedisStorage
from limits.strategies import FixedWindowRateLimiter, MovingWindowRateLimiter

from services.errors import TooManyAttempts, Unavailable

log = logging.getLogger(__name__)


class Limit:
    """One limit ("10 per 15 minutes") kept per key, on a limits strategy."""

    def __init__(self, strategy, spec, name, code, message):
        self.strategy, self.item, self.name = strategy, parse(spec), name
        self.code, self.message = code, message

    def take(self, *key):
        """Counts one attempt, atomically, or refuses (and counts nothing) when the limit is reached."""
        if not self._storage(self.strategy.hit, *key):
            self._refuse(key)

    def refund(self, *key):
        """Gives back one attempt taken with ``take``: the work it guarded is not what this limit
        counts (a login that succeeded, a check-in refused before any face was compared)."""
        self._storage(self._give_back, *key)

    def _give_back(self, item, *identifiers):
        storage, key = self.strategy.storage, item.key_for(*identifiers)
        if isinstance(self.strategy, FixedWindowRateLimiter):
            storage.decr(key)
        elif isinstance(self.strategy, MovingWindowRateLimiter) and isinstance(storage, MemoryStorage):
            with storage.locks[key]:  # the lock acquire_entry holds; the newest entry is first
                if storage.events.get(key):
                    storage.events[key].pop(0)
        elif isinstance(self.strategy, MovingWindowRateLimiter) and isinstance(storage, RedisStorage):
            storage.get_connection().lpop(storage.prefixed_key(key))  # the window's list, newest first
        # any other strategy or storage keeps the turn counted: stricter, never looser

    def clear(self, *key):
        self._storage(self.strategy.clear, *key)

    def _storage(self, operation, *key):
        try:
            return operation(self.item, self.name, *map(str, key))
        except Exception:  # the storage (Redis) is unreachable: refuse rather than stop counting
            log.exception("rate-limit storage error")
            raise Unavailable("The rate-limit store is unreachable; try again shortly.",
                              code="rate_limit_unavailable") from None

    def _refuse(self, key):
        reset_at, _ = self._storage(self.strategy.get_window_stats, *key)
        error = TooManyAttempts(self.message, code=self.code)
        error.retry_after = max(1, math.ceil(reset_at - time.time()))
        raise error


class Throttles:
    """Every limit Rollcall keeps, from the configured specs."""

    def __init__(self, strategy, login_account, login_address, face_mismatch, registration, kiosk_frames):
        self.login_account = Limit(strategy, login_account, "login-account", "too_many_attempts",
                                   "Too many failed logins for this account; wait and try again.")
        self.login_address = Limit(strategy, login_address, "login-address", "too_many_attempts",
                                   "Too many failed logins from this address; wait and try again.")
        self.face_mismatch = Limit(strategy, face_mismatch, "face-mismatch", "too_many_mismatches",
                                   "Too many selfies that did not match your face; wait and try again.")
        self.registration = Limit(strategy, registration, "registration", "too_many_registrations",
                                  "Too many registrations from this address; wait and try again.")
        self.kiosk_frames = Limit(strategy, kiosk_frames, "kiosk-frames", "too_many_frames",
                                  "This session's kiosk is sending frames faster than it may; wait a moment.")

    # The login protocol services.auth.login follows.
    def login_attempt(self, role, email, address):
        """Before the password is checked, the attempt takes one of the account's turns and
        one of the address's. Taking both first is what keeps parallel guesses to the limits:
        each one is counted before any password is compared."""
        self.login_account.take(role, email)
        try:
            self.login_address.take(address)
        except TooManyAttempts:
            self.login_account.refund(role, email)  # no password was compared
            raise

    def login_succeeded(self, role, email, address):
        """The address counts failures only: a success gives its turn back."""
        self.login_account.clear(role, email)
        self.login_address.refund(address)
