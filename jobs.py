"""Class-photo jobs (`mark_class_attendance` with `async=1`): queued to RQ workers through
Redis when REDIS_URL is set, else run by a small thread pool in the web process.

A worker is one command on any host that reaches the database and Redis:
``flask --app app jobs worker`` (docs/deployment.md). Photos travel through Redis, never a
shared disk. services/photo_jobs.py keeps the state; this module wires it to the app.
"""
import gc
import logging
import os
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import click
from flask import current_app
from flask.cli import AppGroup

from models import User, db
from services import class_photos, photo_jobs
from services.faces import images
from services.errors import NotFound, Unavailable
from services.faces.processes import per_process
from services.sessions import Slot

log = logging.getLogger(__name__)

QUEUE = "rollcall"
JOB_TIMEOUT = 600  # seconds: five 12 MP photos take well under a minute; anything near this is a stuck worker
IN_PROCESS_THREADS = 2  # the face pipeline runs one photo at a time per process anyway (services/faces/__init__.py)
IN_PROCESS_MAX_PENDING = 32  # queued photos wait in memory; beyond this the web process says it is busy
EXTENSION = "photo_jobs"


class PhotoJobs:
    """Submits and reads one app's class-photo jobs."""

    def __init__(self, app):
        self.app = app
        self.redis_url = app.config.get("REDIS_URL")
        ttl = app.config["PHOTO_JOB_TTL"]
        if self.redis_url:
            from redis import Redis

            self.redis = Redis.from_url(self.redis_url)
            self.store = photo_jobs.RedisStore(self.redis, ttl)
        else:
            self.redis = None
            self.store = photo_jobs.MemoryStore(ttl)
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
        job_id = photo_jobs.new_job_id()
        state = photo_jobs.initial_state(teacher.id, len(photos), spec)
        try:
            if self.redis is not None:
                self._enqueue(job_id, state, photos)
            else:
                self._run_here(job_id, state, photos)
        except _redis_errors() as exc:
            log.error("cannot queue a class-photo job: %s", exc)
            raise Unavailable("The job queue is unreachable; try again, or send the photos without async.",
                              code="queue_unavailable") from None
        return photo_jobs.public_view(job_id, state)

    def view(self, teacher, job_id):
        """The teacher's own job as they see it; anyone else's is not found, as an unknown id is."""
        try:
            state = self.store.get(job_id)
            if state is not None and state["teacher_id"] == teacher.id and self.redis is not None \
                    and state["status"] not in photo_jobs.FINISHED:
                state = self._check_worker_lost(job_id, state)
        except _redis_errors():
            raise Unavailable("The job queue is unreachable; try again.", code="queue_unavailable") from None
        if state is None or state["teacher_id"] != teacher.id:
            raise NotFound("You have no class-photo job with this id (jobs are kept for "
                           f"{self.store.ttl} seconds).", code="no_such_job")
        return photo_jobs.public_view(job_id, state)

    def _enqueue(self, job_id, state, photos):
        from rq import Queue

        self.store.create(job_id, state, photos)
        # Only the id travels in RQ's job; the photos stay under their own expiring key.
        Queue(QUEUE, connection=self.redis).enqueue(
            "jobs.run_photo_job", job_id, job_id=job_id, job_timeout=JOB_TIMEOUT,
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
            self.store.update(job_id, status=photo_jobs.FAILED, error={
                "ERROR": "The worker stopped before the job finished; send the photos again.",
                "code": "job_failed"})
            self.store.drop_photos(job_id)
            return self.store.get(job_id)
        return state

    def _run_here(self, job_id, state, photos):
        if self.store.pending() >= IN_PROCESS_MAX_PENDING:
            raise Unavailable("Too many class photos are waiting; try again in a minute.", code="queue_full")
        self.store.create(job_id, state, photos)
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
            return photo_jobs.run(store, job_id, _work)
        finally:
            db.session.rollback()  # after a failure nothing is kept; after success it is committed
            db.session.remove()


def _work(state, photos, progress):
    rules = current_app.extensions["rollcall_rules"]
    spec = state["spec"]
    teacher = db.session.get(User, state["teacher_id"])
    if teacher is None:
        raise NotFound("The teacher's account no longer exists.", code="no_such_teacher")
    starts, ends = datetime.fromisoformat(spec["starts_at"]), datetime.fromisoformat(spec["ends_at"])
    slot = Slot(spec["class_name"], starts.date(), starts.time(), ends.time())
    session, students, results = class_photos.mark_from_photos(
        teacher, slot, photos, rules, annotate_photos=spec["annotate"], progress=progress)
    body = class_photos.report(session, students, results)
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


# ---- `flask --app app jobs ...` ---------------------------------------------------------

jobs_group = AppGroup("jobs", help="Class-photo jobs.")


@jobs_group.command("worker")
@click.option("--burst", is_flag=True, help="Stop once the queue is empty.")
@click.option("--name", default=None, help="Worker name (default: host and process id).")
def worker(burst, name):
    """Run class-photo jobs from REDIS_URL's queue (several may run, on any host)."""
    from rq import Worker

    from services import faces
    from services.faces import processes as face_processes

    app = current_app._get_current_object()
    jobs = app.extensions[EXTENSION]
    if jobs.redis is None:
        raise click.UsageError("Set REDIS_URL: without it class-photo jobs run inside the web process.")
    use_app(app)
    # Loaded once here; each job runs in a forked child that shares these pages (as gunicorn's
    # workers share the master's), and dies after it, so one bad photo cannot take the worker.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # one worker per core, as gunicorn.conf.py says
    faces.load_models()
    db.engine.dispose()  # a forked child must not share a connection with this process
    gc.freeze()
    # Photos yield the cores to web workers on a shared host, as the web workers' own face
    # processes do; on a host of its own a worker loses nothing by it.
    os.nice(face_processes.FACE_PROCESS_NICENESS)
    Worker([QUEUE], connection=jobs.redis, name=name).work(burst=burst)


def init_app(app):
    app.extensions[EXTENSION] = PhotoJobs(app)
    app.cli.add_command(jobs_group)
