"""Excuses and leave requests: the student asks with a reason, the teacher approves or refuses,
the student reads the answer; each side sees only its own."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from models import TEACHER, AttendanceEvent, AttendanceRecord, AuditEntry, ClassSession, LeaveRequest, User, db
from services import auth, privacy
from tests.helpers import NOON, START, assert_error, create_class, post, slot_fields

OBAMA, ROSE = "obama@school.test", "rose@school.test"
TOMORROW = START + timedelta(days=1)
YESTERDAY = START - timedelta(days=1)


def ask(client, student, start=TOMORROW, reason="Dentist appointment at 9:30.", **extra):
    email, token = student
    return post(client, "request_leave", token, student_email_id=email, reason=reason, **slot_fields(start),
                **extra)


def pending(client, teacher, **fields):
    email, token = teacher
    response = post(client, "get_leave_requests", token, teacher_email_id=email, **fields)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def mine(client, student):
    email, token = student
    response = post(client, "get_my_leave_requests", token, student_email_id=email)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def decide(client, teacher, request_id, decision, **fields):
    email, token = teacher
    return post(client, "decide_leave_request", token, teacher_email_id=email, leave_request_id=str(request_id),
                decision=decision, **fields)


def audit_kinds():
    return db.session.scalars(select(AuditEntry.kind).where(AuditEntry.kind.like("leave.%"))
                              .order_by(AuditEntry.id)).all()


@pytest.fixture
def term(client, teacher, student, make_user, at):
    at(YESTERDAY)
    make_user(ROSE, name="Rose")
    for start in (YESTERDAY, START, TOMORROW):
        assert create_class(client, teacher, roster=f"{OBAMA},{ROSE}", start=start).status_code == 200
    at(NOON)
    return teacher


def statuses(start):
    return dict(db.session.execute(
        select(User.email, AttendanceRecord.status).join(AttendanceRecord, AttendanceRecord.student_id == User.id)
        .join(ClassSession, AttendanceRecord.session_id == ClassSession.id)
        .where(ClassSession.starts_at == start)).all())


def test_a_request_goes_from_student_to_teacher_and_back_approved(client, term, student):
    response = ask(client, student)
    assert response.status_code == 200, response.get_json()
    asked = response.get_json()["leave_request"]
    assert (asked["status"], asked["reason"], asked["class_date"], asked["decided_at"]) == \
        ("pending", "Dentist appointment at 9:30.", "2026-03-03", None)
    [listed] = pending(client, term)
    assert (listed["id"], listed["student_email_id"], listed["student_name"]) == (asked["id"], OBAMA, "Barack")
    response = decide(client, term, asked["id"], "approve", note="Get well.")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["leave_request"]["status"] == "approved" and body["record"]["status"] == "excused"
    assert body["record"]["category"] == "Excused Absence"
    assert statuses(TOMORROW) == {OBAMA: "excused", ROSE: None}
    event = db.session.scalar(select(AttendanceEvent))
    assert (event.to_status, event.note) == ("excused", "Leave request approved: Dentist appointment at 9:30.")
    [answer] = mine(client, student)
    assert (answer["status"], answer["teacher_note"], answer["decided_by"]) == \
        ("approved", "Get well.", "teacher@school.test")
    assert pending(client, term) == [] and len(pending(client, term, status="all")) == 1
    assert audit_kinds() == ["leave.requested", "leave.approved"]
    assert "Dentist" not in str(db.session.scalars(select(AuditEntry.detail)).all())
    assert_error(ask(client, student), 409, "already_excused")


def test_a_refusal_needs_a_note_the_student_reads_it_and_may_ask_again(client, term, student):
    request_id = ask(client, student, start=YESTERDAY, reason="Bus strike.").get_json()["leave_request"]["id"]
    assert_error(decide(client, term, request_id, "refuse"), 400, "missing_field")
    assert db.session.get(LeaveRequest, request_id).status == "pending"
    response = decide(client, term, request_id, "refuse", note="The buses ran; bring a note from home.")
    assert response.status_code == 200 and "record" not in response.get_json()
    assert statuses(YESTERDAY)[OBAMA] is None
    [answer] = mine(client, student)
    assert (answer["status"], answer["teacher_note"]) == ("refused", "The buses ran; bring a note from home.")
    assert_error(decide(client, term, request_id, "approve"), 409, "already_decided")
    again = ask(client, student, start=YESTERDAY, reason="Note from home attached.").get_json()["leave_request"]
    assert (again["id"], again["status"], again["teacher_note"]) == (request_id, "pending", None)
    assert audit_kinds() == ["leave.requested", "leave.refused", "leave.requested"]


def test_a_closed_session_s_absence_is_excused_by_an_approval(app, client, term, student):
    request_id = ask(client, student, start=YESTERDAY).get_json()["leave_request"]["id"]
    app.test_cli_runner().invoke(args=["sessions", "close-ended"])
    assert statuses(YESTERDAY) == {OBAMA: "absent", ROSE: "absent"}
    decide(client, term, request_id, "approve")
    assert statuses(YESTERDAY) == {OBAMA: "excused", ROSE: "absent"}


def test_each_side_sees_only_its_own(client, term, student, make_user):
    rose_user = db.session.scalar(select(User).where(User.email == ROSE))
    rose = (ROSE, auth.issue_token(rose_user, 3600)[0])
    db.session.commit()
    obama_id = ask(client, student).get_json()["leave_request"]["id"]
    ask(client, rose, start=START, reason="Sick.")
    assert [r["reason"] for r in mine(client, student)] == ["Dentist appointment at 9:30."]
    assert [r["reason"] for r in mine(client, rose)] == ["Sick."]
    other = make_user("other.teacher@school.test", TEACHER, photo="biden.jpg")
    assert pending(client, other) == []
    assert_error(decide(client, other, obama_id, "approve"), 403, "not_yours")
    assert_error(decide(client, student, obama_id, "approve"), 403, "wrong_role")
    email, token = student
    assert_error(post(client, "get_leave_requests", token, teacher_email_id=email), 403, "wrong_role")
    assert db.session.get(LeaveRequest, obama_id).status == "pending"


def test_bad_requests_are_refused_and_write_nothing(client, term, student, make_user):
    outsider = make_user("kit@school.test")
    assert_error(ask(client, outsider), 403, "not_on_roster")
    assert_error(ask(client, student, start=TOMORROW + timedelta(hours=3)), 404, "no_such_class")
    assert_error(ask(client, student, reason="x" * 501), 400, "bad_field")
    assert_error(ask(client, student, reason="   "), 400, "missing_field")
    assert_error(decide(client, term, 999, "approve"), 404, "no_such_request")
    assert_error(decide(client, term, 1, "maybe"), 400, "bad_field")
    email, token = term
    assert_error(post(client, "decide_leave_request", token, teacher_email_id=email, decision="approve"),
                 400, "missing_field")
    assert db.session.scalar(select(func.count()).select_from(LeaveRequest)) == 0
    assert audit_kinds() == []
    assert ask(client, student, reason="x" * 500).status_code == 200
    assert_error(ask(client, student), 409, "already_requested")
    assert db.session.scalar(select(func.count()).select_from(LeaveRequest)) == 1


def test_erasing_the_student_deletes_their_requests(client, term, student):
    ask(client, student)
    user = db.session.scalar(select(User).where(User.email == OBAMA))
    privacy.erase_user(user, None)
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(LeaveRequest)) == 0


def test_a_student_s_export_holds_their_requests(client, term, student):
    ask(client, student)
    email, token = student
    exported = post(client, "export_my_data", token, email_id=email).get_json()
    assert [r["reason"] for r in exported["leave_requests"]] == ["Dentist appointment at 9:30."]
    teacher_email, teacher_token = term
    assert "leave_requests" not in post(client, "export_my_data", teacher_token, email_id=teacher_email).get_json()
