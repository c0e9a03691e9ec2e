"""Hit, then work (issue 27, finding 2): every limit is taken before the work it guards, so a
burst of N parallel requests against a limit of L performs at most L units of work (password
checks, face comparisons, registrations), in memory (per process) and on Redis."""
import io
import threading
import uuid

import numpy as np
import pytest

from app import create_app
from services import accounts, auth, faces
from tests.helpers import NOON, PASSWORD, START, concurrently, create_class, fixture_bytes, post, slot_fields

BURST = 24
LIMIT = 4


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def storage(request, redis_url):
    if request.param == "memory":
        yield "memory://"
        return
    import redis
    connection = redis.Redis.from_url(redis_url)

    def forget_counts():
        for key in connection.scan_iter("LIMITS:*"):
            connection.delete(key)
    forget_counts()
    yield redis_url
    forget_counts()
    connection.close()


@pytest.fixture
def limited(settings, storage):
    """An app whose limits are all LIMIT per window, on the storage under test."""
    def make(**overrides):
        spec = f"{LIMIT} per 15 minutes"
        return create_app({**settings, "RATELIMIT_STORAGE_URI": storage, "LOGIN_ACCOUNT_LIMIT": spec,
                           "LOGIN_ADDRESS_LIMIT": spec, "FACE_MISMATCH_LIMIT": spec, "REGISTRATION_LIMIT": spec,
                           **overrides})
    return make


class Counter:
    """Wraps a function and counts its calls across threads."""

    def __init__(self, function):
        self.function, self.calls, self.lock = function, 0, threading.Lock()

    def __call__(self, *args, **kwargs):
        with self.lock:
            self.calls += 1
        return self.function(*args, **kwargs)


def login(client, email, password):
    return post(client, "login_student", email_id=email, passwd_hash=password)


def test_a_burst_of_wrong_logins_on_one_account_checks_at_most_the_limit(limited, student, monkeypatch):
    app = limited(LOGIN_ADDRESS_LIMIT="1000 per 15 minutes")
    checks = Counter(auth.check_password_hash)
    monkeypatch.setattr(auth, "check_password_hash", checks)
    email, _ = student
    statuses = concurrently(app, BURST, lambda c: login(c, email, f"guess-{uuid.uuid4()}"))
    assert checks.calls <= LIMIT
    assert statuses == [401] * checks.calls + [429] * (BURST - checks.calls)


def test_a_burst_of_wrong_logins_from_one_address_checks_at_most_the_limit(limited, student, monkeypatch):
    app = limited(LOGIN_ACCOUNT_LIMIT="1000 per 15 minutes")
    checks = Counter(auth.check_password_hash)
    monkeypatch.setattr(auth, "check_password_hash", checks)
    statuses = concurrently(app, BURST, lambda c: login(c, f"{uuid.uuid4().hex}@school.test", "wrong"))
    assert checks.calls <= LIMIT
    assert statuses == [401] * checks.calls + [429] * (BURST - checks.calls)


def test_successful_logins_give_the_addresss_turn_back(limited, student):
    app = limited()
    email, _ = student
    client = app.test_client()
    assert [login(client, email, PASSWORD).status_code for _ in range(3 * LIMIT)] == [200] * (3 * LIMIT)
    assert [login(client, "x@school.test", "wrong").status_code for _ in range(LIMIT)] == [401] * LIMIT
    assert login(client, email, PASSWORD).status_code == 429


def test_a_burst_of_strangers_selfies_compares_at_most_the_limit(limited, teacher, student, at, monkeypatch):
    app = limited()
    at(NOON)
    assert create_class(app.test_client(), teacher).status_code == 200
    monkeypatch.setattr(faces, "probe_encodings", lambda data, max_pixels: [np.full(128, 5.0)])  # nobody's face
    comparisons = Counter(faces.verify)
    monkeypatch.setattr(faces, "verify", comparisons)
    email, token = student
    selfie = fixture_bytes("obama_2.jpg")
    statuses = concurrently(app, BURST, lambda c: post(c, "mark_attendance", token, email_id=email,
                                                          image_file=(io.BytesIO(selfie), "s.jpg"),
                                                          **slot_fields(START)))
    assert comparisons.calls <= LIMIT
    assert statuses == [422] * comparisons.calls + [429] * (BURST - comparisons.calls)


def test_a_burst_of_wrong_presence_codes_checks_at_most_the_limit(limited, teacher, student, at, monkeypatch):
    from services import presence
    app = limited()
    at(NOON)
    assert create_class(app.test_client(), teacher, require_code="1").status_code == 200
    codes = Counter(presence.check)
    monkeypatch.setattr(presence, "check", codes)
    email, token = student
    statuses = concurrently(app, BURST, lambda c: post(c, "mark_attendance", token, email_id=email,
                                                          image_file=(io.BytesIO(b"x"), "s.jpg"),
                                                          presence_code="000000", **slot_fields(START)))
    assert codes.calls <= LIMIT
    assert statuses.count(429) == BURST - codes.calls


def test_a_refused_check_in_gives_the_turn_back(limited, teacher, student, at):
    app = limited()
    at(NOON)
    client = app.test_client()
    email, token = student
    # no such class, LIMIT * 3 times: nothing was compared, nothing stays counted
    for _ in range(3 * LIMIT):
        response = post(client, "mark_attendance", token, email_id=email, image_file=(io.BytesIO(b"x"), "s.jpg"),
                        **slot_fields(START))
        assert response.status_code == 404


def test_a_burst_of_registrations_registers_at_most_the_limit(limited, monkeypatch):
    app = limited()
    monkeypatch.setattr(faces, "enrollment_encoding", lambda data, max_pixels: np.zeros(128))
    registrations = Counter(accounts.register)
    monkeypatch.setattr(accounts, "register", registrations)
    statuses = concurrently(app, BURST, lambda c: post(
        c, "register_student", email_id=f"{uuid.uuid4().hex}@school.test", name="S", passwd_hash=PASSWORD,
        image_file=(io.BytesIO(b"photo"), "photo.jpg")))
    assert registrations.calls <= LIMIT
    assert statuses == [200] * registrations.calls + [429] * (BURST - registrations.calls)
