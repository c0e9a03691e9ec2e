"""Rate limits: failed logins, face mismatches, registrations, a door kiosk's frames.

Counted with the ``limits`` library's moving window in the storage Flask-Limiter was given
(RATELIMIT_STORAGE_URI): one counter per key, shared by every worker and host that uses the
same storage, and each hit is atomic (a Lua script in Redis, a lock in memory). A refusal is
429 with a stable code and the seconds until the oldest counted attempt leaves the window.
"""
import logging
import math
import time

from limits import parse

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

    def check(self, *key):
        """Refuses when the limit is reached; counts nothing."""
        if not self._storage(self.strategy.test, *key):
            self._refuse(key)

    def count(self, *key):
        """Counts one attempt (a full window stays full)."""
        self._storage(self.strategy.hit, *key)

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
        """Before the password is checked: the address must be under its ceiling, and the
        attempt takes one of the account's turns. Taking the turn first is what keeps parallel
        guesses to the limit: each one is counted before any password is compared."""
        self.login_address.check(address)
        self.login_account.take(role, email)

    def login_failed(self, address):
        self.login_address.count(address)

    def login_succeeded(self, role, email):
        self.login_account.clear(role, email)
