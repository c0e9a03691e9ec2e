"""Sessions close themselves: once a session has ended, every roster student nobody marked
becomes absent (method ``auto``), and the session is audited once (``session.closed``).

Run by ``flask --app app sessions close-ended`` (cron) and by a small thread in each web
process every CLOSE_SESSIONS_EVERY seconds (start_closer). Several may run at once: each
batch first claims its sessions with one UPDATE of ``closed_at`` that only an unclaimed
session passes, so a session is closed, counted and audited exactly once. Reads never wait
for the job: they already count an ended, unmarked record as absent. A teacher's correction
afterwards is an ordinary change of an absent record, and wins.
"""
import logging
import random
import threading
from collections import Counter

from sqlalchemy import select, update

from models import AttendanceRecord, ClassSession, db
from services import audit, clock

log = logging.getLogger(__name__)

BATCH_SIZE = 200  # sessions per transaction: a school's day fits in one, a backlog is cut into several


def _claim(tz_name, batch_size):
    """Marks up to ``batch_size`` ended, unclaimed sessions closed; returns their ids."""
    now_local, now = clock.local_naive(tz_name), clock.utc_naive()
    due = (select(ClassSession.id).where(ClassSession.closed_at.is_(None), ClassSession.ends_at < now_local)
           .order_by(ClassSession.ends_at, ClassSession.id).limit(batch_size))
    ids = db.session.scalars(due).all()
    if not ids:
        return []
    # The condition is repeated in the UPDATE: a concurrent run that claimed a session first
    # leaves nothing here for this one (PostgreSQL re-checks it once the other commits).
    claimed = db.session.execute(
        update(ClassSession).where(ClassSession.id.in_(ids), ClassSession.closed_at.is_(None))
        .values(closed_at=now).returning(ClassSession.id).execution_options(synchronize_session=False))
    return sorted(claimed.scalars().all())


def close_batch(tz_name, batch_size=BATCH_SIZE):
    """Closes one batch of ended sessions in the current transaction (the caller commits).
    Returns {session id: students marked absent} for the sessions it closed."""
    ids = _claim(tz_name, batch_size)
    if not ids:
        return {}
    # Counted from what the UPDATE itself changed: a teacher marking someone meanwhile is
    # neither overwritten nor counted.
    marked = db.session.execute(
        update(AttendanceRecord).where(AttendanceRecord.session_id.in_(ids), AttendanceRecord.status.is_(None))
        .values(status="absent", method="auto", distance=None, marked_time=None, late=False, minutes_late=None)
        .returning(AttendanceRecord.session_id).execution_options(synchronize_session=False))
    absent = Counter(marked.scalars())
    for session_id in ids:
        audit.log("session.closed", session_id=session_id, detail={"absent": absent.get(session_id, 0)})
    db.session.flush()
    return {session_id: absent.get(session_id, 0) for session_id in ids}


def close_ended(tz_name, batch_size=BATCH_SIZE):
    """Closes every ended session, one committed transaction per batch.
    Returns (sessions closed, students marked absent)."""
    sessions = students = 0
    while True:
        closed = close_batch(tz_name, batch_size)
        db.session.commit()
        if not closed:
            return sessions, students
        sessions += len(closed)
        students += sum(closed.values())


class Closer:
    """The thread that closes ended sessions every ``every_seconds`` in this process. A daemon:
    it dies with the process, mid-wait or mid-batch (a batch cut short is rolled back whole);
    stop() ends it sooner (tests)."""

    def __init__(self, app, every_seconds):
        self.app, self.every_seconds = app, every_seconds
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._loop, name="session-closer", daemon=True)

    def stop(self):
        self.stopped.set()
        self.thread.join()

    def _loop(self):
        # Workers started together would otherwise run in step; the claim makes that harmless,
        # the jitter just spares the database the pointless contention.
        if self.stopped.wait(random.uniform(0, min(self.every_seconds, 60))):
            return
        while True:
            _close_logged(self.app, self.every_seconds)
            if self.stopped.wait(self.every_seconds):
                return


def start_closer(app, every_seconds):
    """Starts this process's Closer and returns it; None when ``every_seconds`` is 0 (off)."""
    if every_seconds <= 0:
        return None
    closer = Closer(app, every_seconds)
    closer.thread.start()
    return closer


def _close_logged(app, every_seconds):
    with app.app_context():
        try:
            sessions, students = close_ended(app.config["TIMEZONE"])
            if sessions:
                log.info("closed %d ended sessions; %d unmarked students marked absent", sessions, students)
        except Exception:  # the database may be away for a while: try again next time
            db.session.rollback()
            log.exception("closing ended sessions failed; retrying in %s s", every_seconds)
        finally:
            db.session.remove()
