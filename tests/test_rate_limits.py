"""Rate limits (Flask-Limiter storage): failed logins per account with a per-address ceiling,
face mismatches per student, registrations per address; 429s in the error shape with
Retry-After; X-Forwarded-For only through TRUSTED_PROXIES; one count across app instances."""
import io
import threading
import uuid

import numpy as np
import pytest
from sqlalchemy import func, select

from app import create_app
from models import User, db
from services import auth, faces
from tests.helpers import NOON, PASSWORD, assert_error, check_in, concurrently, create_class, post



def _login(client, email, password, **headers):
    return client.post("/api/v1/login_student", data={"email_id": email, "passwd_hash": password},
                       headers=headers, content_type="multipart/form-data")


def assert_limited(response, code="too_many_attempts"):
    assert_error(response, 429, code)
    assert 1 <= int(response.headers["Retry-After"]) <= 15 * 60


def test_one_accounts_failures_never_lock_out_another_account(client, student, make_user):
    email, _ = student
    other, _ = make_user("rose@school.test")
    codes = [_login(client, email, f"guess{i}").status_code for i in range(40)]
    assert codes[:10] == [401] * 10 and set(codes[10:]) == {429}
    assert _login(client, other, PASSWORD).status_code == 200  # same address, right password
    assert_limited(_login(client, email, PASSWORD))  # the attacked account waits


def test_32_parallel_wrong_guesses_get_at_most_10_password_checks(app, student, monkeypatch):
    email, _ = student
    checks, lock = [], threading.Lock()
    real_check = auth.check_password_hash

    def counting_check(stored, password):
        with lock:
            checks.append(password)
        return real_check(stored, password)
    monkeypatch.setattr(auth, "check_password_hash", counting_check)
    statuses = concurrently(app, 32, lambda client: _login(client, email, f"guess-{uuid.uuid4()}"))
    assert len(checks) <= 10
    assert statuses == [401] * len(checks) + [429] * (32 - len(checks))


def test_a_successful_login_clears_the_accounts_count(client, student):
    email, _ = student
    for i in range(9):
        assert _login(client, email, f"guess{i}").status_code == 401
    assert _login(client, email, PASSWORD).status_code == 200
    assert [_login(client, email, f"again{i}").status_code for i in range(10)] == [401] * 10


@pytest.fixture
def limited_app(settings):
    """An app with small limits, to reach them in a few requests."""
    def make(**overrides):
        app = create_app({**settings, "LOGIN_ADDRESS_LIMIT": "3 per 15 minutes", "REGISTRATION_LIMIT": "3 per 10 minutes",
                          **overrides})
        return app
    return make


def test_an_address_has_its_own_ceiling_on_failed_logins(limited_app, make_user):
    make_user("a@school.test")
    client = limited_app().test_client()
    for name in ("a", "b", "c"):
        assert _login(client, f"{name}@school.test", "wrong").status_code == 401
    assert_limited(_login(client, "a@school.test", PASSWORD))


def test_a_forged_x_forwarded_for_changes_nothing_without_trusted_proxies(limited_app, make_user):
    make_user("a@school.test")
    client = limited_app().test_client()
    for i in range(3):
        assert _login(client, "a@school.test", "wrong", **{"X-Forwarded-For": f"10.0.0.{i}"}).status_code == 401
    assert_limited(_login(client, "a@school.test", "wrong", **{"X-Forwarded-For": "10.0.0.99"}))


def test_x_forwarded_for_names_the_client_behind_trusted_proxies(limited_app, make_user):
    make_user("a@school.test")
    client = limited_app(TRUSTED_PROXIES=1).test_client()
    for i in range(3):
        assert _login(client, "a@school.test", "wrong", **{"X-Forwarded-For": "10.0.0.1"}).status_code == 401
    assert_limited(_login(client, "a@school.test", PASSWORD, **{"X-Forwarded-For": "10.0.0.1"}))
    # another client behind the same proxy is not refused
    assert _login(client, "a@school.test", PASSWORD, **{"X-Forwarded-For": "10.0.0.2"}).status_code == 200


def test_registrations_are_limited_per_address(app, limited_app, monkeypatch):
    monkeypatch.setattr(faces, "enrollment_encoding", lambda data, max_pixels: np.zeros(128))
    client = limited_app().test_client()

    def register(i):
        return post(client, "register_student", email_id=f"s{i}@school.test", name="S", passwd_hash=PASSWORD,
                    image_file=(io.BytesIO(b"photo"), "photo.jpg"))
    assert [register(i).status_code for i in range(3)] == [200] * 3
    assert_limited(register(3), "too_many_registrations")
    assert db.session.scalar(select(func.count()).select_from(User)) == 3


def test_face_mismatches_are_limited_per_student(client, teacher, make_user, at, monkeypatch):
    at(NOON)
    student, friend = make_user("obama@school.test"), make_user("rose@school.test", photo="rose_leslie.jpg")
    assert create_class(client, teacher, roster="obama@school.test,rose@school.test").status_code == 200
    monkeypatch.setattr(faces, "probe_encodings", lambda data, max_pixels: [np.full(128, 5.0)])  # nobody's face
    for _ in range(5):
        assert_error(check_in(client, student), 422, "face_mismatch")
    assert_limited(check_in(client, student), "too_many_mismatches")
    # another student's check-in is not affected
    assert_error(check_in(client, friend), 422, "face_mismatch")


@pytest.mark.redis
def test_two_app_instances_on_redis_share_one_count(settings, student, redis_url):
    import redis
    connection = redis.Redis.from_url(redis_url)

    def forget_counts():  # Flask-Limiter's keys: this test's own, whatever an earlier run left
        for key in connection.scan_iter("LIMITS:*"):
            connection.delete(key)
    forget_counts()
    try:
        first, second = (create_app({**settings, "RATELIMIT_STORAGE_URI": redis_url}).test_client()
                         for _ in range(2))
        email, _ = student
        codes = [_login(first if i % 2 else second, email, f"guess{i}").status_code for i in range(10)]
        assert codes == [401] * 10
        assert_limited(_login(first, email, "guess-10"))
        assert_limited(_login(second, email, PASSWORD))
    finally:
        forget_counts()
        connection.close()


def test_an_unreachable_rate_limit_store_refuses_logins_with_503(settings, student):
    app = create_app({**settings, "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:1/9"})  # nothing listens there
    email, _ = student
    response = _login(app.test_client(), email, PASSWORD)
    assert_error(response, 503, "rate_limit_unavailable")


def test_config_show_masks_the_rate_limit_stores_password(settings):
    app = create_app({**settings, "RATELIMIT_STORAGE_URI": "redis://:hunter2@127.0.0.1:6379/9"})
    shown = app.test_cli_runner().invoke(args=["config", "show"]).output
    assert "RATELIMIT_STORAGE_URI = redis://:***@127.0.0.1:6379/9" in shown and "hunter2" not in shown
