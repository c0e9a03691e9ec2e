"""The teacher's leave requests in a real browser, with the harness of tests/test_console.py:
students ask through the API, the teacher reads the requests from Today, approves one (the
record becomes excused) and refuses another with a note, and the student reads the answer."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from models import STUDENT, TEACHER, AttendanceRecord, AuditEntry, ClassSession, LeaveRequest, User, db
from tests.helpers import NOON, make_session, post, slot_fields
from tests.test_console import browser, page, server  # noqa: F401
from tests.test_console_roles import look, sign_in_as, sign_out

pytestmark = pytest.mark.browser

YESTERDAY = NOON - timedelta(days=1)
THURSDAY = NOON + timedelta(days=3)
REFUSAL = "The tournament is not a school event."


def ask(client, student, starts, name, reason):
    email, token = student
    answer = post(client, "request_leave", token, student_email_id=email, reason=reason,
                  **slot_fields(starts, name=name))
    assert answer.status_code == 200, answer.get_json()


def record_status(email, class_name):
    db.session.expire_all()
    return db.session.scalar(
        select(AttendanceRecord.status).join(User, AttendanceRecord.student_id == User.id)
        .join(ClassSession, AttendanceRecord.session_id == ClassSession.id)
        .where(User.email == email, User.role == STUDENT, ClassSession.class_name == class_name))


def request_of(email, class_name):
    db.session.expire_all()
    return db.session.scalar(
        select(LeaveRequest).join(User, LeaveRequest.student_id == User.id)
        .join(ClassSession, LeaveRequest.session_id == ClassSession.id)
        .where(User.email == email, ClassSession.class_name == class_name))


def test_a_teacher_approves_one_leave_request_and_refuses_another_with_a_note(page, client, make_user):
    barack = make_user("obama@school.test", name="Barack")
    joe = make_user("biden@school.test", photo="biden.jpg", name="Joe")
    make_user("teacher@school.test", TEACHER, name="Ms Teacher")
    roster = ["obama@school.test", "biden@school.test"]
    make_session("teacher@school.test", roster, starts=YESTERDAY, name="Biology")
    make_session("teacher@school.test", roster, starts=THURSDAY, name="History")
    ask(client, barack, YESTERDAY, "Biology", "I was ill with the flu.")
    ask(client, joe, THURSDAY, "History", "Football tournament.")
    ask(client, barack, THURSDAY, "History", "Family wedding.")

    sign_in_as(page, "teacher@school.test", TEACHER)
    shortcut = page.get_by_role("link", name="3 leave requests to answer")
    shortcut.wait_for()
    look(page, "today-requests")
    shortcut.click()
    page.get_by_role("heading", name="Waiting for your answer").wait_for()
    waiting = page.get_by_role("list", name="Requests waiting for an answer")
    waiting.get_by_role("listitem").nth(2).wait_for()
    assert page.get_by_role("link", name="Requests").get_attribute("aria-current") == "page"
    text = waiting.inner_text()
    for words in ("Barack", "biden@school.test", "I was ill with the flu.", "Football tournament.",
                  "Biology, Sun 1 Mar, 12:00–13:00", "History, Thu 5 Mar, 12:00–13:00"):
        assert words in text, words
    assert text.index("I was ill") < text.index("Football") < text.index("Family wedding")  # longest waiting first
    assert "No answer yet." in page.get_by_role("list", name="Answered requests").inner_text()
    look(page, "teacher-requests")

    # A double tap sends one decision: the button is disabled while it runs.
    page.get_by_role("button", name="Approve: Barack, Biology on Sun 1 Mar").dblclick()
    approved = "Request approved. Barack is excused from Biology on Sun 1 Mar."
    page.get_by_role("status").filter(has_text=approved).wait_for()
    assert record_status("obama@school.test", "Biology") == "excused"
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)
                             .where(AuditEntry.kind == "leave.approved")) == 1
    assert page.get_by_role("alert").filter(has_text=re.compile("already")).count() == 0

    # Refusing without a note: the server's sentence, and the note field to type it in.
    joes = waiting.get_by_role("listitem").filter(has_text="Football tournament.")
    joes.get_by_role("button", name=re.compile("^Refuse: Joe")).click()
    joes.get_by_role("alert").filter(has_text="Say why the request is refused: the field note is required.").wait_for()
    note = joes.get_by_label("Note to Joe")
    assert note.evaluate("field => field === document.activeElement")
    page.keyboard.type(REFUSAL)  # then by keyboard: past Approve to Refuse
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.get_by_role("status").filter(has_text="Request refused. Joe will read your note.").wait_for()
    refused = request_of("biden@school.test", "History")
    assert (refused.status, refused.teacher_note) == ("refused", REFUSAL)
    assert record_status("biden@school.test", "History") != "excused"

    assert waiting.get_by_role("listitem").count() == 1  # Barack's History request still waits
    answered = page.get_by_role("list", name="Answered requests")
    assert answered.get_by_role("listitem").count() == 2
    first, second = (item.inner_text() for item in answered.get_by_role("listitem").all())
    assert "Refused" in first and f"Your note: “{REFUSAL}”" in first  # the latest answer first
    assert "Approved: excused" in second and "I was ill with the flu." in second
    look(page, "teacher-requests-answered")

    page.get_by_role("link", name="Today").click()
    page.get_by_role("link", name="1 leave request to answer").wait_for()

    sign_out(page)
    sign_in_as(page, "biden@school.test", STUDENT)
    page.get_by_role("link", name="Leave").click()
    mine = page.get_by_role("list", name="My leave requests")
    mine.get_by_text("Refused").wait_for()
    assert REFUSAL in mine.inner_text()


def test_today_says_nothing_of_leave_when_no_request_waits(page, make_user):
    make_user("obama@school.test", name="Barack")
    make_user("teacher@school.test", TEACHER, name="Ms Teacher")
    make_session("teacher@school.test", ["obama@school.test"], starts=YESTERDAY, name="Biology")
    sign_in_as(page, "teacher@school.test", TEACHER)
    with page.expect_response(re.compile("get_leave_requests")):
        page.get_by_role("link", name="Requests").click()
    page.get_by_text("No request is waiting.").wait_for()
    look(page, "teacher-requests-empty")
    with page.expect_response(re.compile("get_leave_requests")) as answer:
        page.get_by_role("link", name="Today").click()
    assert answer.value.json() == []
    page.get_by_role("heading", name="Today's classes").wait_for()
    assert page.get_by_text(re.compile("leave requests? to answer")).count() == 0
