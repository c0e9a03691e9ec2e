"""Class-photo jobs (`mark_class_attendance` with `async=1`), all in one place: where a job's
state and photos are kept, how a job moves from queued to done or failed, and who runs it:
RQ workers through Redis when REDIS_URL is set (``flask --app app jobs worker``, on any host
that reaches the database and Redis; photos travel through Redis, never a shared disk), else
a small thread pool in the web process.

A job's state is a small dict: ``teacher_id``, ``status`` (queued, running, done, failed),
``photos``, ``photos_done``, ``faces_found``, ``spec`` (what to do: the session and options),
and at the end ``result`` (the synchronous call's answer) or ``error`` ({"ERROR", "code"}).
Photos are personal data: they are kept apart from the state, only until the job has run
(and never longer than the TTL), and deleted whether the job succeeded or not.

The queue is bounded, in both modes: a job is admitted only while its teacher has fewer than
PHOTO_JOBS_PER_TEACHER jobs waiting or running, all teachers together fewer than
PHOTO_JOBS_WAITING, and the waiting photos with the new ones fit in PHOTO_QUEUE_MB. The check
and the admission are one step (a lock in memory, a Lua script on Redis), and a job leaves the
count when its photos are deleted, or by itself when its TTL passes, so a lost job cannot
hold a place for ever. A refusal is 429 ``queue_full`` with Retry-After.
"""
import functools
import json
import logging
import secrets
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from models import User, db
from services import class_photos
from services.errors import ApiError, NotFound, TooManyAttempts, Unavailable
from services.faces import images
from services.faces.processes import per_process
from services.sessions import Slot

log = logging.getLogger(__name__)

QUEUE = "rollcall"
JOB_TIMEOUT = 600  # seconds: far beyond the largest job; anything near this is a stuck worker
IN_PROCESS_THREADS = 2  # the face pipeline runs one photo at a time per process anyway
# A full queue asks to come back after about the time a waiting job takes to run.
QUEUE_FULL_RETRY_AFTER = 30
EXTENSION = "photo_jobs"

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
FINISHED = (DONE, FAILED)
KEY_PREFIX = "rollcall:photo_job:"
WAITING_KEY = "rollcall:photo_jobs_waiting"  # a sorted set: "<job id>:<teacher id>:<photo bytes>" by expiry


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


class Caps:
    """How much may wait: jobs per teacher, jobs in all, photo bytes in all."""

    def __init__(self, per_teacher, jobs, photo_bytes):
        self.per_teacher, self.jobs, self.photo_bytes = per_teacher, jobs, photo_bytes

    @classmethod
    def from_config(cls, config):
        return cls(config["PHOTO_JOBS_PER_TEACHER"], config["PHOTO_JOBS_WAITING"],
                   config["PHOTO_QUEUE_MB"] * 1024 * 1024)


def queue_full(reason):
    messages = {"teacher": "You already have as many class photos waiting as one teacher may; "
                           "try again when one has finished.",
                "jobs": "Too many class photos are waiting; try again in a minute.",
                "bytes": "The photos waiting take all the room the queue has; try again in a minute."}
    error = TooManyAttempts(messages[reason], code="queue_full")
    error.retry_after = QUEUE_FULL_RETRY_AFTER
    return error


# KEYS[1]: WAITING_KEY. ARGV: now, expiry, entry, teacher id, photo bytes, the three caps.
ADMIT_SCRIPT = """
redis.call('zremrangebyscore', KEYS[1], '-inf', ARGV[1])
local entries = redis.call('zrange', KEYS[1], 0, -1)
local mine, held = 0, 0
for _, entry in ipairs(entries) do
    local teacher, size = string.match(entry, '^[^:]+:([^:]+):(%d+)$')
    if teacher == ARGV[4] then mine = mine + 1 end
    held = held + tonumber(size)
end
if mine >= tonumber(ARGV[6]) then return 'teacher' end
if #entries >= tonumber(ARGV[7]) then return 'jobs' end
if held + tonumber(ARGV[5]) > tonumber(ARGV[8]) then return 'bytes' end
redis.call('zadd', KEYS[1], ARGV[2], ARGV[3])
redis.call('expire', KEYS[1], math.ceil(ARGV[2] - ARGV[1]))
return 'ok'
"""
# KEYS[1]: WAITING_KEY. ARGV[1]: the job id.
RELEASE_SCRIPT = """
local prefix = ARGV[1] .. ':'
for _, entry in ipairs(redis.call('zrange', KEYS[1], 0, -1)) do
    if string.sub(entry, 1, #prefix) == prefix then redis.call('zrem', KEYS[1], entry) end
end
return 0
"""


class RedisStore:
    """Job state in a Redis hash (each field JSON), photos in a Redis list; both expire."""

    def __init__(self, redis, ttl):
        self.redis, self.ttl = redis, ttl
        self._admit = redis.register_script(ADMIT_SCRIPT)
        self._release = redis.register_script(RELEASE_SCRIPT)

    def admit(self, job_id, state, photos, caps):
        """Counts the job in, or raises queue_full; then stores it."""
        now, size = time.time(), sum(len(p) for p in photos)
        entry = f"{job_id}:{state['teacher_id']}:{size}"
        verdict = self._admit(keys=[WAITING_KEY], args=[now, now + self.ttl, entry, state["teacher_id"], size,
                                                        caps.per_teacher, caps.jobs, caps.photo_bytes])
        verdict = verdict.decode() if isinstance(verdict, bytes) else verdict
        if verdict != "ok":
            raise queue_full(verdict)
        try:
            self.create(job_id, state, photos)
        except Exception:
            self.release(job_id)
            raise

    def release(self, job_id):
        self._release(keys=[WAITING_KEY], args=[job_id])

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
        self.release(job_id)


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
        """How many jobs wait or run (hold their photos)."""
        with self._lock:
            self._expire()
            return sum(1 for j in self._photos if j in self._jobs)

    def admit(self, job_id, state, photos, caps):
        """Counts the job in and stores it, or raises queue_full: one step under the lock.
        A job counts while its photos are kept (until it ran, or expired)."""
        size = sum(len(p) for p in photos)
        with self._lock:
            self._expire()
            waiting = [self._jobs[j][0] for j in self._photos if j in self._jobs]
            if sum(w["teacher_id"] == state["teacher_id"] for w in waiting) >= caps.per_teacher:
                raise queue_full("teacher")
            if len(waiting) >= caps.jobs:
                raise queue_full("jobs")
            if sum(len(p) for photos_of in self._photos.values() for p in photos_of) + size > caps.photo_bytes:
                raise queue_full("bytes")
            self._jobs[job_id] = (dict(state), time.monotonic() + self.ttl)
            self._photos[job_id] = list(photos)


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


# ---- who runs the jobs ----------------------------------------------------------------

class PhotoJobs:
    """Submits and reads one app's class-photo jobs."""

    def __init__(self, app):
        self.app = app
        self.redis_url = app.config.get("REDIS_URL")
        self.caps = Caps.from_config(app.config)
        ttl = app.config["PHOTO_JOB_TTL"]
        if self.redis_url:
            from redis import Redis

            self.redis = Redis.from_url(self.redis_url)
            self.store = RedisStore(self.redis, ttl)
        else:
            self.redis = None
            self.store = MemoryStore(ttl)
        # a gunicorn worker makes its own pool on first use
        self._pool = per_process(lambda: ThreadPoolExecutor(IN_PROCESS_THREADS, thread_name_prefix="photo-job"))

    # ---- the web side ------------------------------------------------------------------

    def submit(self, teacher, slot, photos, rules, annotate):
        """Checks what can be checked at once (the session, the photos' headers), then queues
        the job. Returns what the teacher sees of it."""
        class_photos.open_session(teacher, slot, rules)
        for photo in photos:
            images.check_header(photo, rules.max_image_pixels)
        spec = {"class_name": slot.class_name, "starts_at": slot.starts_at.isoformat(),
                "ends_at": slot.ends_at.isoformat(), "annotate": bool(annotate)}
        job_id = new_job_id()
        state = initial_state(teacher.id, len(photos), spec)
        try:
            if self.redis is not None:
                self._enqueue(job_id, state, photos)
            else:
                self._run_here(job_id, state, photos)
        except _redis_errors() as exc:
            log.error("cannot queue a class-photo job: %s", exc)
            raise Unavailable("The job queue is unreachable; try again, or send the photos without async.",
                              code="queue_unavailable") from None
        return public_view(job_id, state)

    def view(self, teacher, job_id):
        """The teacher's own job as they see it; anyone else's is not found, as an unknown id is."""
        try:
            state = self.store.get(job_id)
            if state is not None and state["teacher_id"] == teacher.id and self.redis is not None \
                    and state["status"] not in FINISHED:
                state = self._check_worker_lost(job_id, state)
        except _redis_errors():
            raise Unavailable("The job queue is unreachable; try again.", code="queue_unavailable") from None
        if state is None or state["teacher_id"] != teacher.id:
            raise NotFound("You have no class-photo job with this id (jobs are kept for "
                           f"{self.store.ttl} seconds).", code="no_such_job")
        return public_view(job_id, state)

    def _enqueue(self, job_id, state, photos):
        from rq import Queue

        self.store.admit(job_id, state, photos, self.caps)
        # Only the id travels in RQ's job; the photos stay under their own expiring key.
        Queue(QUEUE, connection=self.redis).enqueue(
            run_photo_job, job_id, job_id=job_id, job_timeout=JOB_TIMEOUT,
            result_ttl=0, failure_ttl=self.store.ttl, ttl=self.store.ttl)

    def _check_worker_lost(self, job_id, state):
        """A worker killed mid-job (or past JOB_TIMEOUT) leaves our state running: RQ knows."""
        from rq.exceptions import NoSuchJobError
        from rq.job import Job, JobStatus

        try:
            status = Job.fetch(job_id, connection=self.redis).get_status()
        except NoSuchJobError:
            return state
        if status in (JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED):
            self.store.update(job_id, status=FAILED, error={
                "ERROR": "The worker stopped before the job finished; send the photos again.",
                "code": "job_failed"})
            self.store.drop_photos(job_id)
            return self.store.get(job_id)
        return state

    def _run_here(self, job_id, state, photos):
        self.store.admit(job_id, state, photos, self.caps)
        self._pool().submit(_execute, self.app, self.store, job_id)


def _redis_errors():
    try:
        from redis.exceptions import RedisError
    except ImportError:  # only needed when REDIS_URL is set
        return ()
    return (RedisError,)


# ---- the worker side -------------------------------------------------------------------

def _execute(app, store, job_id):
    """Runs one job in an app context of its own: the request that queued it is long gone."""
    with app.app_context():
        try:
            return run(store, job_id, functools.partial(_work, app.extensions["rollcall_rules"]))
        finally:
            db.session.rollback()  # after a failure nothing is kept; after success it is committed
            db.session.remove()


def _work(rules, state, photos, progress):
    spec = state["spec"]
    teacher = db.session.get(User, state["teacher_id"])
    if teacher is None:
        raise NotFound("The teacher's account no longer exists.", code="no_such_teacher")
    starts, ends = datetime.fromisoformat(spec["starts_at"]), datetime.fromisoformat(spec["ends_at"])
    slot = Slot(spec["class_name"], starts.date(), starts.time(), ends.time())
    session, students, results, unreadable = class_photos.mark_from_photos(
        teacher, slot, photos, rules, annotate_photos=spec["annotate"], progress=progress)
    body = class_photos.report(session, students, results, unreadable)
    db.session.commit()
    return body


_worker_app = None


def use_app(app):
    """The app whose configuration the jobs of this process run with (set by `jobs worker`)."""
    global _worker_app
    _worker_app = app


def run_photo_job(job_id):
    """RQ's entry point for a queued class photo."""
    if _worker_app is None:
        raise RuntimeError("Start workers with `flask --app app jobs worker`: it loads the app and the models.")
    try:
        return _execute(_worker_app, _worker_app.extensions[EXTENSION].store, job_id)
    finally:
        with _worker_app.app_context():
            db.engine.dispose()  # close this job's connections before the forked child exits


def init_app(app):
    app.extensions[EXTENSION] = PhotoJobs(app)
