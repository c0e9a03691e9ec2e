"""Class-photo jobs: where a job's state and photos are kept, and how a job moves from queued
to done or failed. Knows nothing of Flask; jobs.py runs the jobs (RQ workers or threads).

A job's state is a small dict: ``teacher_id``, ``status`` (queued, running, done, failed),
``photos``, ``photos_done``, ``faces_found``, ``spec`` (what to do: the session and options),
and at the end ``result`` (the synchronous call's answer) or ``error`` ({"ERROR", "code"}).
Photos are personal data: they are kept apart from the state, only until the job has run
(and never longer than the TTL), and deleted whether the job succeeded or not.
"""
import json
import logging
import secrets
import threading
import time

from services.errors import ApiError

log = logging.getLogger(__name__)

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
FINISHED = (DONE, FAILED)
KEY_PREFIX = "rollcall:photo_job:"


def new_job_id():
    return secrets.token_urlsafe(16)  # 128 random bits: [A-Za-z0-9_-], as RQ requires of job ids


def initial_state(teacher_id, photo_count, spec):
    return {"teacher_id": teacher_id, "status": QUEUED, "photos": photo_count, "photos_done": 0,
            "faces_found": 0, "spec": spec}


def error_body(exc):
    """The contract's error shape for what stopped a job."""
    if isinstance(exc, ApiError):
        return {"ERROR": exc.message, "code": exc.code}
    return {"ERROR": "Something went wrong on our side while reading the photos; nothing was changed.",
            "code": "internal_error"}


class RedisStore:
    """Job state in a Redis hash (each field JSON), photos in a Redis list; both expire."""

    def __init__(self, redis, ttl):
        self.redis, self.ttl = redis, ttl

    def _key(self, job_id):
        return KEY_PREFIX + job_id

    def _photos_key(self, job_id):
        return KEY_PREFIX + job_id + ":photos"

    def create(self, job_id, state, photos):
        with self.redis.pipeline() as pipe:
            pipe.hset(self._key(job_id), mapping={k: json.dumps(v) for k, v in state.items()})
            pipe.expire(self._key(job_id), self.ttl)
            pipe.rpush(self._photos_key(job_id), *photos)
            pipe.expire(self._photos_key(job_id), self.ttl)
            pipe.execute()

    def get(self, job_id):
        raw = self.redis.hgetall(self._key(job_id))
        return {k.decode(): json.loads(v) for k, v in raw.items()} or None

    def update(self, job_id, **fields):
        with self.redis.pipeline() as pipe:
            pipe.hset(self._key(job_id), mapping={k: json.dumps(v) for k, v in fields.items()})
            pipe.expire(self._key(job_id), self.ttl)  # a finished job's answer is kept TTL seconds from now
            pipe.execute()

    def photos(self, job_id):
        return self.redis.lrange(self._photos_key(job_id), 0, -1)

    def drop_photos(self, job_id):
        self.redis.delete(self._photos_key(job_id))


class MemoryStore:
    """The same in this process's memory, for running without Redis; entries expire too."""

    def __init__(self, ttl):
        self.ttl = ttl
        self._jobs, self._photos, self._lock = {}, {}, threading.Lock()

    def _expire(self):
        now = time.monotonic()
        for job_id in [j for j, (_, expires) in self._jobs.items() if expires < now]:
            del self._jobs[job_id]
            self._photos.pop(job_id, None)

    def create(self, job_id, state, photos):
        with self._lock:
            self._expire()
            self._jobs[job_id] = (dict(state), time.monotonic() + self.ttl)
            self._photos[job_id] = list(photos)

    def get(self, job_id):
        with self._lock:
            self._expire()
            entry = self._jobs.get(job_id)
            return json.loads(json.dumps(entry[0])) if entry else None  # a copy, as Redis would give

    def update(self, job_id, **fields):
        with self._lock:
            if job_id in self._jobs:
                self._jobs[job_id] = ({**self._jobs[job_id][0], **fields}, time.monotonic() + self.ttl)

    def photos(self, job_id):
        with self._lock:
            return list(self._photos.get(job_id, ()))

    def drop_photos(self, job_id):
        with self._lock:
            self._photos.pop(job_id, None)

    def pending(self):
        with self._lock:
            return sum(state["status"] not in FINISHED for state, _ in self._jobs.values())


def run(store, job_id, work):
    """Runs one job: ``work(state, photos, progress)`` returns the result body and may call
    ``progress(photos_done, faces_found)``; an exception fails the job with its error.

    The photos are deleted afterwards, whatever happened. Returns the final status.
    """
    state = store.get(job_id)
    if state is None or state["status"] in FINISHED:
        store.drop_photos(job_id)
        return state and state["status"]  # expired, or already run (a redelivered job)
    store.update(job_id, status=RUNNING)
    try:
        photos = store.photos(job_id)
        if len(photos) != state["photos"]:
            raise ApiError("The photos of this job expired before it ran; send them again.",
                           code="photos_expired")

        def progress(photos_done, faces_found):
            store.update(job_id, photos_done=photos_done, faces_found=faces_found)

        result = work(state, photos, progress)
    except Exception as exc:  # noqa: BLE001 - every failure is reported to the teacher, in the error shape
        if not isinstance(exc, ApiError):
            log.exception("class-photo job %s failed", job_id)
        store.update(job_id, status=FAILED, error=error_body(exc))
        return FAILED
    finally:
        store.drop_photos(job_id)
    store.update(job_id, status=DONE, result=result)
    return DONE


def public_view(job_id, state):
    """What the teacher sees of a job: its progress, then the result or the error."""
    body = {"job_id": job_id, "status": state["status"], "photos": state["photos"],
            "photos_done": state["photos_done"], "faces_found": state["faces_found"]}
    if state["status"] == DONE:
        body.update(state["result"])
    elif state["status"] == FAILED:
        body["error"] = state["error"]
    return body
