"""Bounded photo queues (issue 27, finding 1): caps per teacher, for all teachers and on the
photo bytes waiting, in both modes (429 queue_full with Retry-After); a job leaves the count
when it ran or expired; logins keep answering while one teacher floods; and rate limits may
not share the jobs' Redis database."""
import io
import threading
import time

import pytest

from app import create_app
from models import TEACHER
from services import photo_jobs
from tests.helpers import (NOON, PASSWORD, START, assert_error, concurrently, fixture_bytes, make_session, post,
                           slot_fields)
from tests.test_photo_jobs import _clean_redis, _redis, mode, run_queued, settings  # noqa: F401 (fixtures)

PHOTO = fixture_bytes("obama_biden.jpg")
CAPS = {"PHOTO_JOBS_PER_TEACHER": 3, "PHOTO_JOBS_WAITING": 5, "PHOTO_QUEUE_MB": 4}


@pytest.fixture
def held(monkeypatch, mode):
    """In-process jobs wait until the test lets them run (on Redis nothing runs without a worker)."""
    gate = threading.Event()
    real = photo_jobs._execute

    def waiting_execute(app, store, job_id):
        gate.wait(60)
        return real(app, store, job_id)
    monkeypatch.setattr(photo_jobs, "_execute", waiting_execute)
    yield gate
    gate.set()


@pytest.fixture
def capped(settings, held):  # noqa: F811
    app = create_app({**settings, **CAPS})
    with app.app_context():
        yield app


def teachers(make_user, at):
    at(NOON)
    made = [make_user(f"t{i}@school.test", TEACHER, photo="biden.jpg") for i in range(3)]
    for email, _ in made:
        make_session(email, ["obama@school.test"], starts=START)
    return made


def submit(client, teacher, photo=PHOTO):
    email, token = teacher
    return post(client, "mark_class_attendance", token, teacher_email_id=email,
                image_file=(io.BytesIO(photo), "p.jpg"), **{"async": "1"}, **slot_fields(START))


def assert_queue_full(response):
    assert_error(response, 429, "queue_full")
    assert int(response.headers["Retry-After"]) >= 1


def test_one_teacher_gets_at_most_their_share_and_the_queue_its_cap(capped, make_user, at, mode):
    first, second, third = teachers(make_user, at)
    client = capped.test_client()
    statuses = [submit(client, first).status_code for _ in range(8)]
    assert statuses == [202] * 3 + [429] * 5
    assert_queue_full(submit(client, first))
    # another teacher still gets in, up to the queue's own cap (5 jobs in all)
    assert [submit(client, second).status_code for _ in range(2)] == [202, 202]
    full = submit(client, third)
    assert_queue_full(full)
    assert "Too many class photos are waiting" in full.get_json()["ERROR"]


def test_the_photo_bytes_waiting_are_bounded(capped, make_user, at, mode):
    first, second, _ = teachers(make_user, at)
    client = capped.test_client()
    big = PHOTO + b"\0" * (3 * 1024 * 1024 - len(PHOTO))  # 3 MB: the JPEG with padding after its end
    assert submit(client, first, big).status_code == 202
    refused = submit(client, second, big)
    assert_queue_full(refused)
    assert "room" in refused.get_json()["ERROR"]
    assert submit(client, second).status_code == 202  # a small one still fits


@pytest.mark.face  # the jobs run the face pipeline
def test_a_job_that_ran_leaves_the_count(capped, make_user, at, mode, held, run_queued):  # noqa: F811
    first, _, _ = teachers(make_user, at)
    client = capped.test_client()
    jobs = [submit(client, first).get_json()["job_id"] for _ in range(3)]
    assert_queue_full(submit(client, first))
    held.set()
    run_queued()
    store = capped.extensions["photo_jobs"].store
    deadline = time.monotonic() + 120
    while any(store.get(j)["status"] not in photo_jobs.FINISHED for j in jobs) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert submit(client, first).status_code == 202


def test_a_job_nobody_ran_leaves_the_count_when_it_expires(settings, held, make_user, at, mode):  # noqa: F811
    app = create_app({**settings, **CAPS, "PHOTO_JOB_TTL": 1})
    with app.app_context():
        first, _, _ = teachers(make_user, at)
        client = app.test_client()
        assert [submit(client, first).status_code for _ in range(4)] == [202, 202, 202, 429]
        time.sleep(1.5)
        assert submit(client, first).status_code == 202


def test_logins_keep_answering_while_one_teacher_floods(capped, make_user, at, mode):
    flooder, _, _ = teachers(make_user, at)
    students = [make_user(f"s{i}@school.test")[0] for i in range(12)]
    lock, floods, logins = threading.Lock(), [], []

    def flood_or_login(client):
        with lock:
            is_flood = len(floods) < 12
            (floods if is_flood else logins).append(None)
            student = None if is_flood else students[len(logins) - 1]
        if is_flood:
            return submit(client, flooder)
        return post(client, "login_student", email_id=student, passwd_hash=PASSWORD)

    statuses = concurrently(capped, 24, flood_or_login)
    assert statuses.count(202) == 3 and statuses.count(429) == 9
    assert statuses.count(200) == 12  # every login answered
    if mode == "redis":
        connection = _redis(capped.config["REDIS_URL"])
        held_bytes = sum(connection.memory_usage(k) or 0 for k in connection.scan_iter("rollcall:photo_job:*:photos"))
        assert held_bytes <= CAPS["PHOTO_QUEUE_MB"] * 1024 * 1024 + 64 * 1024


@pytest.mark.parametrize("mode", ["in_process"])
@pytest.mark.parametrize("limits, jobs, refused", [
    ("redis://redis.school.test:6379/0", "redis://redis.school.test:6379/0", True),
    ("redis://redis.school.test:6379", "redis://redis.school.test:6379/0", True),
    ("redis://redis.school.test:6379/1", "redis://redis.school.test:6379/0", False),
    ("redis://other.school.test:6379/0", "redis://redis.school.test:6379/0", False),
    ("memory://", "redis://redis.school.test:6379/0", False),
])
def test_rate_limits_may_not_share_the_jobs_redis_database(settings, limits, jobs, refused):  # noqa: F811
    overrides = {**settings, "RATELIMIT_STORAGE_URI": limits, "REDIS_URL": jobs}
    if refused:
        with pytest.raises(SystemExit, match="same Redis database"):
            create_app(overrides)
    else:
        create_app(overrides)
