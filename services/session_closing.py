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
from collections import Counter
from types import SimpleNamespace

from sqlalchemy import select, update

from models import AttendanceRecord, ClassSession, User, db
from services import audit, clock, periodic, term_reports, webhooks

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


def close_batch(tz_name, batch_size=BATCH_SIZE, threshold=None):
    """Closes one batch of ended sessions in the current transaction (the caller commits).
    With ``threshold`` (LOW_ATTENDANCE_THRESHOLD), a student this closing marked absent whose rate
    in that class is now under it is reported (webhook student.low_attendance).
    Returns {session id: students marked absent} for the sessions it closed."""
    ids = _claim(tz_name, batch_size)
    if not ids:
        return {}
    # Counted from what the UPDATE itself changed: a teacher marking someone meanwhile is
    # neither overwritten nor counted.
    marked = db.session.execute(
        update(AttendanceRecord).where(AttendanceRecord.session_id.in_(ids), AttendanceRecord.status.is_(None))
        .values(status="absent", method="auto", distance=None, marked_time=None, late=False, minutes_late=None)
        .returning(AttendanceRecord.session_id, AttendanceRecord.student_id)
        .execution_options(synchronize_session=False)).all()
    absent = Counter(session_id for session_id, _ in marked)
    closed = db.session.execute(select(ClassSession.id, ClassSession.class_name, ClassSession.starts_at,
                                       ClassSession.ends_at, ClassSession.teacher_id,
                                       User.email.label("teacher_email"))
                                .join(User, ClassSession.teacher_id == User.id).where(ClassSession.id.in_(ids))
                                .order_by(ClassSession.id)).all()
    for session in closed:
        audit.log("session.closed", session_id=session.id, detail={"absent": absent.get(session.id, 0)})
        webhooks.emit("session.closed", {
            "class_name": session.class_name, "class_date": session.starts_at.date().isoformat(),
            "start_time": session.starts_at.strftime("%H:%M"), "end_time": session.ends_at.strftime("%H:%M"),
            "teacher_email_id": session.teacher_email, "marked_absent": absent.get(session.id, 0)})
    if threshold is not None and marked and webhooks.listening("student.low_attendance"):
        _report_low_attendance(tz_name, threshold, closed, marked)
    db.session.flush()
    return {session_id: absent.get(session_id, 0) for session_id in ids}


def _report_low_attendance(tz_name, threshold, closed, marked):
    """Emits student.low_attendance for each student just marked absent who is now under the
    threshold in that class (the rates counted in SQL, once per teacher and class)."""
    session_of = {s.id: s for s in closed}
    absentees = {}  # (teacher id, class name) -> student ids marked absent now
    for session_id, student_id in marked:
        session = session_of[session_id]
        absentees.setdefault((session.teacher_id, session.class_name), set()).add(student_id)
    for (teacher_id, class_name), student_ids in absentees.items():
        below = term_reports.student_rates(SimpleNamespace(id=teacher_id), tz_name, threshold, class_name,
                                           only_below=True, student_ids=student_ids)
        for r in below:
            webhooks.emit("student.low_attendance", {
                "student_email_id": r.email, "name": r.name, "class_name": r.class_name,
                "teacher_email_id": r.teacher_email, "held": r.held, "present": r.present, "absent": r.absent,
                "excused": r.excused, "tardy": r.tardy, "rate": round(float(r.rate), 1), "threshold": threshold})


def close_ended(tz_name, batch_size=BATCH_SIZE, threshold=None):
    """Closes every ended session, one committed transaction per batch.
    Returns (sessions closed, students marked absent)."""
    sessions = students = 0
    while True:
        closed = close_batch(tz_name, batch_size, threshold)
        db.session.commit()
        if not closed:
            return sessions, students
        sessions += len(closed)
        students += sum(closed.values())


def _close_logged(app):
    sessions, students = close_ended(app.config["TIMEZONE"], threshold=app.config["LOW_ATTENDANCE_THRESHOLD"])
    if sessions:
        log.info("closed %d ended sessions; %d unmarked students marked absent", sessions, students)


def start_closer(app, every_seconds):
    """Starts this process's closer thread (services.periodic) and returns it; None when
    ``every_seconds`` is 0 (off)."""
    return periodic.start(app, every_seconds, lambda: _close_logged(app), "session-closer")
