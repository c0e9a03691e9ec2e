"""Sessions close themselves: an ended session's unmarked students become absent (method auto)."""
import threading
import time
from datetime import timedelta

from sqlalchemy import select

from models import AttendanceRecord, AuditEntry, ClassSession, User, db
from services import session_closing
from tests.helpers import NOON, START, create_class, post, slot_fields

OBAMA, ROSE, KIT = "obama@school.test", "rose@school.test", "kit@school.test"
YESTERDAY = START - timedelta(days=1)


def records(start=YESTERDAY):
    rows = db.session.execute(select(User.email, AttendanceRecord.status, AttendanceRecord.method)
                              .join(AttendanceRecord, AttendanceRecord.student_id == User.id)
                              .join(ClassSession, AttendanceRecord.session_id == ClassSession.id)
                              .where(ClassSession.starts_at == start).order_by(User.email)).all()
    return [tuple(r) for r in rows]


def closings():
    return db.session.execute(select(AuditEntry.session_id, AuditEntry.actor_id, AuditEntry.detail)
                              .where(AuditEntry.kind == "session.closed").order_by(AuditEntry.id)).all()


def set_attendance(client, teacher, email, start, **fields):
    teacher_email, token = teacher
    return post(client, "set_attendance", token, teacher_email_id=teacher_email, student_email_id=email,
                **slot_fields(start), **fields)


def run(app, *args):
    result = app.test_cli_runner().invoke(args=["sessions", "close-ended", *args])
    assert result.exit_code == 0, result.output
    return result.output


def term(client, teacher, make_user, at):
    """Yesterday's session (one student marked), one running now, one tomorrow."""
    at(YESTERDAY)
    for email in (ROSE, KIT):
        make_user(email)
    roster = f"{OBAMA},{ROSE},{KIT}"
    for start in (YESTERDAY, START, START + timedelta(days=1)):
        assert create_class(client, teacher, roster=roster, start=start).status_code == 200
    set_attendance(client, teacher, ROSE, YESTERDAY, status="present")
    at(NOON)


def test_the_command_marks_yesterday_s_unmarked_students_absent_once(app, client, teacher, student, make_user, at):
    term(client, teacher, make_user, at)
    # before the job, reads already count the ended, unmarked records as absent
    counts = post(client, "get_present_absent_classes_by_teacher", teacher[1], teacher_email_id=teacher[0])
    assert counts.get_json()["Math 101|2026-03-01"]["absent"] == 2
    assert "1 ended sessions closed; 2 unmarked students marked absent." in run(app)
    assert records() == [(KIT, "absent", "auto"), (OBAMA, "absent", "auto"), (ROSE, "present", "manual")]
    assert [s for s, *_ in records(START)] == [KIT, OBAMA, ROSE] and {r[1] for r in records(START)} == {None}
    [(session_id, actor, detail)] = closings()
    assert actor is None and detail == '{"absent": 2}'
    assert db.session.get(ClassSession, session_id).starts_at == YESTERDAY
    assert counts.get_json() == post(client, "get_present_absent_classes_by_teacher", teacher[1],
                                     teacher_email_id=teacher[0]).get_json()
    # idempotent: nothing left to close, nothing audited again
    assert "0 ended sessions closed" in run(app)
    assert len(closings()) == 1


def test_a_teacher_s_later_correction_wins(app, client, teacher, student, make_user, at):
    term(client, teacher, make_user, at)
    run(app)
    response = set_attendance(client, teacher, OBAMA, YESTERDAY, status="excused", note="Doctor's note.")
    assert response.get_json()["record"]["status"] == "excused"
    run(app)
    assert (OBAMA, "excused", "manual") in records()
    teacher_email, token = teacher
    history = post(client, "get_attendance_history", token, teacher_email_id=teacher_email,
                   student_email_id=OBAMA).get_json()
    assert [(h["from_status"], h["to_status"]) for h in history] == [("absent", "excused")]


def test_batches_close_a_backlog_and_the_listing_shows_method_auto(app, client, teacher, student, at):
    at(NOON - timedelta(days=10))
    for day in range(3):
        create_class(client, teacher, start=START - timedelta(days=10 - day))
    at(NOON)
    assert "3 ended sessions closed; 3 unmarked students marked absent." in run(app, "--batch-size", "1")
    assert len(closings()) == 3
    email, token = student
    missed = post(client, "get_missed_attendance", token, student_email_id=email).get_json()
    assert [(m["status"], m["method"]) for m in missed] == [("absent", "auto")] * 3


def test_concurrent_closers_close_each_session_once(app, client, teacher, student, make_user, at):
    term(client, teacher, make_user, at)
    results, barrier = [], threading.Barrier(3)

    def close():
        with app.app_context():
            barrier.wait()
            results.append(session_closing.close_ended("UTC"))
            db.session.remove()

    threads = [threading.Thread(target=close) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [(0, 0), (0, 0), (1, 2)]
    assert len(closings()) == 1


def test_the_web_process_s_closer_thread_closes_ended_sessions(app, client, teacher, student, at):
    at(NOON - timedelta(days=1))
    create_class(client, teacher, start=YESTERDAY)
    db.session.commit()
    at(NOON)
    assert session_closing.start_closer(app, 0) is None  # off
    closer = session_closing.start_closer(app, 0.05)
    try:
        for _ in range(200):  # polls for the outcome; no assertion on how long it took
            db.session.rollback()
            if closings():
                break
            time.sleep(0.05)
    finally:
        closer.stop()
    assert records() == [(OBAMA, "absent", "auto")]
    assert len(closings()) == 1
