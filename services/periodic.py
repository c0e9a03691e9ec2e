"""A small background thread that runs one task every few seconds in a web process: the session
closer and the senders of webhooks and mail. The tasks are safe to run in several processes at once (each
claims its work with a conditional UPDATE), so every gunicorn worker may run its own."""
import logging
import random
import threading

from sqlalchemy import select, update

from models import db

log = logging.getLogger(__name__)


class Periodic:
    """Runs ``task()`` in an app context every ``every_seconds``, after a random first wait (so
    workers started together do not run in step). A daemon: it dies with its process, mid-wait
    or mid-task (the task's uncommitted transaction is rolled back whole); stop() ends it sooner."""

    def __init__(self, app, every_seconds, task, name):
        self.app, self.every_seconds, self.task = app, every_seconds, task
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._loop, name=name, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.stopped.set()
        self.thread.join()

    def _loop(self):
        if self.stopped.wait(random.uniform(0, min(self.every_seconds, 60))):
            return
        while True:
            self._run_once()
            if self.stopped.wait(self.every_seconds):
                return

    def _run_once(self):
        with self.app.app_context():
            try:
                self.task()
            except Exception:  # the database may be away for a while: try again next time
                db.session.rollback()
                log.exception("%s failed; retrying in %s s", self.thread.name, self.every_seconds)
            finally:
                db.session.remove()


def start(app, every_seconds, task, name):
    """Starts a Periodic and returns it; None when ``every_seconds`` is 0 (off)."""
    if every_seconds <= 0:
        return None
    return Periodic(app, every_seconds, task, name).start()


def claim_due(outbox, now, limit, lease):
    """Claims up to ``limit`` pending rows of an outbox table (mail, webhook deliveries) that are
    due at ``now``: one conditional UPDATE, so of senders in several processes exactly one gets
    each row; a claimed row is due again after ``lease`` if its sender died mid-send. Commits,
    so a slow server on the other end holds no transaction open. Returns the claimed ids."""
    due = db.session.scalars(select(outbox.id).where(outbox.status == "pending", outbox.next_attempt_at <= now)
                             .order_by(outbox.next_attempt_at, outbox.id).limit(limit)).all()
    if not due:
        return []
    claimed = db.session.execute(
        update(outbox).where(outbox.id.in_(due), outbox.status == "pending", outbox.next_attempt_at <= now)
        .values(next_attempt_at=now + lease, attempts=outbox.attempts + 1)
        .returning(outbox.id).execution_options(synchronize_session=False)).scalars().all()
    db.session.commit()
    return claimed


def until_empty(batch):
    """Runs ``batch()`` (which returns how many rows it handled) until it handles none; returns
    the total: a command's way of emptying an outbox the periodic thread empties bit by bit."""
    total = 0
    while handled := batch():
        total += handled
    return total
