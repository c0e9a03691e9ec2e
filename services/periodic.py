"""A small background thread that runs one task every few seconds in a web process: the session
closer and the webhook sender. The tasks are safe to run in several processes at once (each
claims its work with a conditional UPDATE), so every gunicorn worker may run its own."""
import logging
import random
import threading

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
