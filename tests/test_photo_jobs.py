"""Class photos as jobs (``async=1``): on RQ workers through Redis, and in-process without it.

The Redis tests use TEST_REDIS_URL (default redis://127.0.0.1:6379/14, as in CI) and delete
the keys they made; deselect them with -m "not redis" where no Redis runs.
"""
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from models import TEACHER, AttendanceRecord, User, db
from services import faces, photo_jobs
from tests.helpers import FACE_KEY, NOON, assert_error, create_class, fixture_bytes, photograph, post

ROOT = Path(__file__).resolve().parents[1]
JOB_FIELDS = {"job_id", "status", "photos", "photos_done", "faces_found"}
ROSTER = "obama@school.test,biden@school.test,rose@school.test,kit@school.test"


def _redis(url):
    from redis import Redis
    return Redis.from_url(url)


def _clean_redis(connection):
    for pattern in ("rollcall:*", "rq:*"):
        keys = list(connection.scan_iter(pattern))
        if keys:
            connection.delete(*keys)


@pytest.fixture(params=["in_process", pytest.param("redis", marks=pytest.mark.redis)])
def mode(request):
    return request.param


@pytest.fixture
def settings(settings, mode, request):
    """The suite's settings, with Redis for the jobs in ``redis`` mode."""
    if mode != "redis":
        yield settings
        return
    redis_url = request.getfixturevalue("redis_url")
    connection = _redis(redis_url)
    connection.ping()  # CI has Redis at 127.0.0.1:6379; without one, run -m "not redis"
    _clean_redis(connection)
    yield {**settings, "REDIS_URL": redis_url}
    _clean_redis(connection)


@pytest.fixture
def run_queued(app, mode, monkeypatch):
    """Runs what is queued: an RQ burst worker in this process (Redis), or nothing to do
    (the web process's own threads run the jobs)."""
    monkeypatch.setattr(photo_jobs, "_worker_app", app)

    def run():
        if mode == "redis":
            from rq import SimpleWorker
            SimpleWorker([photo_jobs.QUEUE], connection=_redis(app.config["REDIS_URL"])).work(burst=True)
    return run


def poll(client, teacher, job_id):
    email, token = teacher
    return post(client, "get_photo_job", token, teacher_email_id=email, job_id=job_id)


def finished(client, teacher, job_id, timeout=120):
    deadline = time.monotonic() + timeout
    while True:
        body = poll(client, teacher, job_id).get_json()
        if body["status"] in ("done", "failed") or time.monotonic() > deadline:
            return body
        time.sleep(0.05)


def photos_left(app, job_id):
    return app.extensions["photo_jobs"].store.photos(job_id)


def marked():
    return sorted(db.session.scalars(select(User.email).join(AttendanceRecord, AttendanceRecord.student_id == User.id)
                                     .where(AttendanceRecord.status == "present")))


def truncated_jpeg():
    data = fixture_bytes("obama_biden.jpg")
    return data[:len(data) // 3]  # the header reads fine; the pixels end early


@pytest.mark.face
def test_async_photo_answers_202_at_once_then_the_synchronous_answer(app, client, school, mode, run_queued):
    create_class(client, school, roster=ROSTER)
    queued = photograph(client, school, "obama_biden.jpg", **{"async": "1"})
    assert queued.status_code == 202, queued.get_json()
    job = queued.get_json()
    assert {k: job[k] for k in JOB_FIELDS - {"job_id"}} == {
        "status": "queued", "photos": 1, "photos_done": 0, "faces_found": 0}
    assert len(job["job_id"]) >= 20 and "faces" not in job
    if mode == "redis":  # nothing runs until a worker takes it
        assert poll(client, school, job["job_id"]).get_json()["status"] == "queued"
        assert marked() == []
    run_queued()
    done = finished(client, school, job["job_id"])
    assert (done["status"], done["photos_done"], done["faces_found"]) == ("done", 1, 2), done
    assert done["present"] == ["biden@school.test", "obama@school.test"]
    db.session.rollback()  # see the job's commit
    assert marked() == ["biden@school.test", "obama@school.test"]
    assert photos_left(app, job["job_id"]) == []  # personal data: gone once processed
    # The synchronous call (now with both already present) answers exactly the same body.
    synchronous = photograph(client, school, "obama_biden.jpg")
    assert synchronous.status_code == 200
    assert {k: v for k, v in done.items() if k not in JOB_FIELDS} == synchronous.get_json()
    if mode == "redis":
        connection = _redis(app.config["REDIS_URL"])
        assert 0 < connection.ttl(f"rollcall:photo_job:{job['job_id']}") <= 3600
        assert not connection.exists(f"rollcall:photo_job:{job['job_id']}:photos")


@pytest.mark.face
def test_progress_counts_photos_done_and_faces_found(app, client, school, run_queued, monkeypatch):
    create_class(client, school, roster=ROSTER)
    real, seen, calls, queued = faces.room_encodings, [], [], threading.Event()

    def ask():  # from a thread of its own, as a teacher's phone would: not inside the job's context
        seen.append(poll(app.test_client(), school, job_id).get_json())

    def watched(data, max_pixels, keep_pixels):
        if len(calls) == 1:  # the job is between its two photos: ask how far it got
            queued.wait(30)
            asking = threading.Thread(target=ask)
            asking.start()
            asking.join()
        calls.append(1)
        return real(data, max_pixels, keep_pixels)

    monkeypatch.setattr(faces, "room_encodings", watched)
    job_id = photograph(client, school, "rose_kit.jpg", "obama_biden.jpg", **{"async": "1"}).get_json()["job_id"]
    queued.set()
    run_queued()
    done = finished(client, school, job_id)
    assert [(s["status"], s["photos"], s["photos_done"], s["faces_found"]) for s in seen] == [("running", 2, 1, 2)]
    assert "present" not in seen[0]
    assert (done["status"], done["photos_done"], done["faces_found"]) == ("done", 2, 4)
    assert {f["image_index"] for f in done["faces"]} == {0, 1} and len(done["present"]) == 4


def test_a_failed_job_reports_its_error_in_the_error_shape(app, client, school, run_queued):
    create_class(client, school, roster=ROSTER)
    queued = photograph(client, school, truncated_jpeg(), **{"async": "1"})
    assert queued.status_code == 202, queued.get_json()
    job_id = queued.get_json()["job_id"]
    run_queued()
    failed = finished(client, school, job_id)
    assert failed["status"] == "failed" and failed["photos_done"] == 0
    assert set(failed["error"]) == {"ERROR", "code"} and failed["error"]["ERROR"]
    assert failed["error"]["code"] == "unreadable_image"
    assert "present" not in failed and photos_left(app, job_id) == []
    db.session.rollback()
    assert marked() == []


def test_only_the_teacher_who_queued_a_job_can_read_it(client, school, make_user, run_queued):
    create_class(client, school, roster=ROSTER)
    job_id = photograph(client, school, truncated_jpeg(), **{"async": "1"}).get_json()["job_id"]
    other = make_user("other@school.test", TEACHER)
    assert_error(poll(client, other, job_id), 404, "no_such_job")
    assert_error(poll(client, school, "not-a-job-" + job_id[:8]), 404, "no_such_job")
    student = make_user("student@school.test")
    assert_error(post(client, "get_photo_job", student[1], teacher_email_id=student[0], job_id=job_id),
                 403, "wrong_role")
    email, token = school
    assert_error(post(client, "get_photo_job", token, teacher_email_id=email), 400, "missing_field")
    run_queued()
    assert finished(client, school, job_id)["status"] == "failed"
    assert_error(poll(client, other, job_id), 404, "no_such_job")


def test_async_refuses_at_once_what_it_can_check(app, client, school, make_user, at, mode):
    create_class(client, school, roster=ROSTER)
    assert_error(photograph(client, school, b"plain text, not a photo", **{"async": "1"}), 415, "not_an_image")
    other = make_user("other@school.test", TEACHER)
    assert_error(photograph(client, other, "obama_biden.jpg", **{"async": "1"}), 403, "not_yours")
    at(NOON.replace(hour=8))
    assert_error(photograph(client, school, "obama_biden.jpg", **{"async": "1"}), 409, "not_open")
    if mode == "redis":
        connection = _redis(app.config["REDIS_URL"])
        assert list(connection.scan_iter("rollcall:*")) == [] and list(connection.scan_iter("rq:queue:*")) == []
    else:
        assert app.extensions["photo_jobs"].store.pending() == 0


@pytest.mark.redis
@pytest.mark.parametrize("mode", ["redis"])
def test_a_job_whose_worker_died_reports_failed(app, client, school, mode):
    from rq.job import Job, JobStatus
    create_class(client, school, roster=ROSTER)
    job_id = photograph(client, school, "obama_biden.jpg", **{"async": "1"}).get_json()["job_id"]
    # as RQ marks a killed work horse's job
    Job.fetch(job_id, connection=_redis(app.config["REDIS_URL"])).set_status(JobStatus.FAILED)
    failed = poll(client, school, job_id).get_json()
    assert failed["status"] == "failed" and failed["error"]["code"] == "job_failed"
    assert photos_left(app, job_id) == []


@pytest.mark.face
@pytest.mark.redis
@pytest.mark.parametrize("mode", ["redis"])
def test_the_documented_worker_command_runs_queued_jobs(app, client, school, mode, database_url, redis_url):
    create_class(client, school, roster=ROSTER)
    job_id = photograph(client, school, "rose_kit.jpg", **{"async": "1"}).get_json()["job_id"]
    env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_url, "SECRET_KEY": "test",
           "FACE_KEY": FACE_KEY, "TIMEZONE": "UTC"}  # the key the test app sealed the templates with
    worker = subprocess.run([sys.executable, "-m", "flask", "--app", "app", "jobs", "worker", "--burst"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert worker.returncode == 0, worker.stderr[-3000:]
    done = poll(client, school, job_id).get_json()
    assert done["status"] == "done", done
    assert done["present"] == ["kit@school.test", "rose@school.test"]


@pytest.mark.parametrize("mode", ["in_process"])
def test_the_worker_command_needs_redis(app, mode):
    result = app.test_cli_runner().invoke(args=["jobs", "worker", "--burst"])
    assert result.exit_code != 0 and "REDIS_URL" in result.output


@pytest.mark.parametrize("mode", ["in_process"])
def test_config_show_hides_the_redis_password(settings, mode):
    from app import create_app
    app = create_app({**settings, "REDIS_URL": "redis://:hunter2@redis.school.test:6379/0"})
    shown = app.test_cli_runner().invoke(args=["config", "show"]).output
    assert "REDIS_URL = redis://:***@redis.school.test:6379/0" in shown and "hunter2" not in shown
    assert "PHOTO_JOB_TTL = 3600" in shown


@pytest.mark.parametrize("mode", ["in_process"])
def test_an_unreachable_queue_answers_503_and_queues_nothing(app, client, school, mode, monkeypatch):
    create_class(client, school, roster=ROSTER)
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:9/0")  # nothing listens on port 9
    app.extensions["photo_jobs"] = photo_jobs.PhotoJobs(app)
    assert_error(photograph(client, school, "obama_biden.jpg", **{"async": "1"}), 503, "queue_unavailable")
    assert_error(poll(client, school, "some-job-id"), 503, "queue_unavailable")
