"""Rosters that wait for late registrants: emails with no student account are kept as invitations,
listed to the teacher as not_enrolled, and become records when the student registers, for every
session that has not ended. (The real face pipeline runs in test_original_client.py; here
registration enrolls a stand-in encoding.)"""
import io
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from models import TEACHER, AttendanceRecord, ClassSession, RosterEvent, RosterInvitation, db
from services import faces
from tests.helpers import NOON, PASSWORD, START, create_class, fixture_bytes, post, slot_fields, stand_in_encoding

KIT, ROSE = "kit@school.test", "rose@school.test"
YESTERDAY, TOMORROW = START - timedelta(days=1), START + timedelta(days=1)


@pytest.fixture
def enroll_without_model(monkeypatch):
    monkeypatch.setattr(faces, "enrollment_encoding", lambda data, max_pixels: stand_in_encoding("kit"))


def register(client, email, path="register_student"):
    response = post(client, path, email_id=email, name=email.split("@")[0], passwd_hash=PASSWORD,
                    image_file=(io.BytesIO(fixture_bytes("kit_harington.jpg")), "kit.jpg"))
    assert response.status_code == 200, response.get_json()
    return email, response.get_json()["token"]


def roster(client, teacher, start):
    email, token = teacher
    response = post(client, "get_class_attendance", token, teacher_email_id=email, **slot_fields(start))
    assert response.status_code == 200, response.get_json()
    return {r["student_email_id"]: r for r in response.get_json()}


def count(model):
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def three_sessions(client, teacher, make_user, at):
    """Kit is named on yesterday's, today's (running) and tomorrow's class before he registers."""
    at(NOON)
    make_user(ROSE, photo="rose_leslie.jpg")
    for start in (YESTERDAY, START, TOMORROW):
        response = create_class(client, teacher, roster=f"{ROSE}, {KIT}", start=start)
        assert response.status_code == 200
        assert response.get_json()["unknown_student_email_ids"] == [KIT]
        assert response.get_json()["invited_student_email_ids"] == [KIT]
    return teacher


def test_invited_emails_are_listed_as_not_enrolled_and_never_counted(client, three_sessions):
    teacher = three_sessions
    kit = roster(client, teacher, START)[KIT]
    assert kit["status"] == "not_enrolled" and kit["attendance_marked"] == 0 and kit["marked_time"] is None
    assert kit["id"] is None and kit["teacher_email_id"] == teacher[0] and kit["start_time"] == "11:55"
    email, token = teacher
    every = post(client, "get_classes_by_teacher", token, teacher_email_id=email).get_json()
    assert [(r["class_date"], r["student_email_id"], r["status"]) for r in every] == [
        ("2026-03-03", KIT, "not_enrolled"), ("2026-03-03", ROSE, "pending"),
        ("2026-03-02", KIT, "not_enrolled"), ("2026-03-02", ROSE, "pending"),
        ("2026-03-01", KIT, "not_enrolled"), ("2026-03-01", ROSE, "absent")]
    page = post(client, "get_classes_by_teacher", token, teacher_email_id=email, limit="3", offset="2").get_json()
    assert page == every[2:5]
    counts = post(client, "get_present_absent_classes_by_teacher", token, teacher_email_id=email).get_json()
    assert counts["Math 101|2026-03-01"] == {"total": 1, "present": 0, "absent": 1, "pending": 0, "excused": 0, "late": 0}
    assert counts["Math 101|2026-03-02"] == {"total": 1, "present": 0, "absent": 0, "pending": 1, "excused": 0, "late": 0}
    per_student = post(client, "get_student_class_record", token, teacher_email_id=email).get_json()
    assert list(per_student) == [f"{ROSE}|Math 101"]
    # the dashboard's header cards count the latest class's records: enrolled students only
    latest = post(client, "get_latest_class_by_teacher", token, teacher_email_id=email).get_json()
    assert [r["student_email_id"] for r in latest] == [ROSE]


def test_a_late_registrant_joins_every_roster_that_has_not_ended(client, three_sessions, enroll_without_model):
    teacher = three_sessions
    kit = register(client, KIT)
    assert roster(client, teacher, YESTERDAY)[KIT]["status"] == "not_enrolled"  # ended: stays as it was
    assert roster(client, teacher, START)[KIT]["status"] == "pending"
    assert roster(client, teacher, TOMORROW)[KIT]["status"] == "pending"
    stats = post(client, "get_student_stats", kit[1], email_id=KIT).get_json()
    assert stats["absent"] == 0 and stats["pending"] == 2
    assert post(client, "get_missed_attendance", kit[1], email_id=KIT).get_json() == []
    pending = post(client, "get_pending_attendance", kit[1], email_id=KIT).get_json()
    assert [r["start_time"] for r in pending] == ["11:55"]
    assert count(AttendanceRecord) == 3 + 2 and count(RosterInvitation) == 1
    joined = db.session.scalars(select(RosterEvent).where(RosterEvent.action == "joined")).all()
    assert len(joined) == 2 and {e.email for e in joined} == {KIT}


def test_a_session_that_ends_before_registration_keeps_the_invitation(client, three_sessions,
                                                                      enroll_without_model, at):
    at(START + timedelta(minutes=61))  # today's class is over
    register(client, KIT)
    assert roster(client, three_sessions, START)[KIT]["status"] == "not_enrolled"
    assert roster(client, three_sessions, TOMORROW)[KIT]["status"] == "pending"


@pytest.mark.settings(TEACHER_SIGNUP="open")
def test_a_teacher_account_with_that_email_joins_nothing(client, three_sessions, enroll_without_model):
    register(client, KIT, path="register_teacher")
    assert roster(client, three_sessions, START)[KIT]["status"] == "not_enrolled"
    assert count(RosterInvitation) == 3


def test_a_failed_registration_joins_nothing(client, three_sessions, make_user, enroll_without_model):
    make_user(KIT, photo="kit_harington.jpg")  # taken: the second registration is refused
    response = post(client, "register_student", email_id=KIT, name="Kit", passwd_hash=PASSWORD,
                    image_file=(io.BytesIO(fixture_bytes("kit_harington.jpg")), "kit.jpg"))
    assert response.status_code == 409 and response.get_json()["code"] == "email_taken"
    assert count(RosterInvitation) == 3 and count(RosterEvent) == 0


def test_a_class_without_roster_reuses_the_invitations_too(client, three_sessions):
    response = create_class(client, three_sessions, roster=None, start=TOMORROW + timedelta(days=6))
    body = response.get_json()
    assert response.status_code == 200 and body["invited_student_email_ids"] == [KIT]
    assert [(r["student_email_id"], r["status"]) for r in body["records"]] == [
        (KIT, "not_enrolled"), (ROSE, "pending")]


def test_other_teachers_do_not_see_the_invitations(client, three_sessions, make_user):
    email, token = make_user("t2@school.test", TEACHER)
    assert post(client, "get_classes_by_teacher", token, teacher_email_id=email).get_json() == []


def test_a_term_waits_for_a_late_registrant_too(client, teacher, at, enroll_without_model):
    at(datetime(2026, 3, 4, 12, 0))  # Wednesday noon: two of the term's four sessions have ended
    email, token = teacher
    response = post(client, "create_schedule", token, teacher_email_id=email, class_name="Art", weekdays="mon,wed",
                    start_time="09:00", end_time="10:00", from_date="2026-03-02", to_date="2026-03-11",
                    student_email_ids=KIT)
    assert response.status_code == 200 and response.get_json()["invited_student_email_ids"] == [KIT]
    assert count(RosterInvitation) == 4
    register(client, KIT)
    joined = db.session.scalars(select(ClassSession.class_date).join(
        AttendanceRecord, AttendanceRecord.session_id == ClassSession.id).order_by(ClassSession.class_date)).all()
    assert [d.isoformat() for d in joined] == ["2026-03-09", "2026-03-11"]
