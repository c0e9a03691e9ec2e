"""The administrator's and the student's pages of the console in a real browser, with the
teachers' console's harness (tests/test_console.py): Debian's Chromium through Playwright, the
app on a free port, axe-core on every page, screenshots at 375 and 1280 px in tests/screenshots/.
"""
import csv
import io
import json
import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from models import ADMIN, STUDENT, TEACHER, AttendanceRecord, AuditEntry, ClassSession, FaceEncoding, User, db
from services import corrections, presence, sessions
from tests.helpers import NOON, START, fixture_bytes, make_session
from tests.test_console import PASSWORD, browser, check_accessibility, page, screenshots, server  # noqa: F401

pytestmark = pytest.mark.browser

ROLE_LABELS = {TEACHER: "Teacher", STUDENT: "Student", ADMIN: "Administrator"}
FIRST_HEADING = {TEACHER: "Today's classes", STUDENT: "By class", ADMIN: "Teachers waiting for approval"}


def look(page, name):
    """axe-core, nothing wider than a phone's 375 px (no sideways scrolling), then the screenshots."""
    check_accessibility(page, name)
    assert page.evaluate("document.documentElement.scrollWidth") <= 375, name
    screenshots(page, name)


def sign_in_as(page, email, role):
    page.goto("/#/signin")
    page.get_by_role("heading", name="Sign in to Rollcall").wait_for()
    page.get_by_role("radio", name=ROLE_LABELS[role]).check()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name=FIRST_HEADING[role]).wait_for()


def sign_out(page):
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("heading", name="Sign in to Rollcall").wait_for()


def user(email, role):
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.email == email, User.role == role))


def set_status(email, role, status):
    account = user(email, role)
    account.status = status
    db.session.commit()


def nav_links(page):
    return [link.inner_text() for link in page.get_by_role("navigation", name="Main").get_by_role("link").all()
            if link.is_visible()]


# -- sign-in routes by role ------------------------------------------------------------------


def test_the_sign_in_page_opens_each_roles_pages(page, make_user, it):
    make_user("obama@school.test", name="Barack")
    make_user("teacher@school.test", TEACHER, name="Ms Teacher")
    page.goto("/")
    page.get_by_role("group", name="I am signing in as").wait_for()
    assert page.get_by_role("radio", name="Teacher").is_checked()  # the default, as before
    look(page, "signin-roles")

    page.get_by_label("Email").fill("obama@school.test")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()  # a student's email, signing in as a teacher
    page.get_by_role("alert").filter(has_text="Wrong email or password.").wait_for()

    sign_in_as(page, "obama@school.test", STUDENT)
    assert nav_links(page) == ["My attendance", "Check in", "Leave", "My faces", "My data", "My account"]
    page.goto("/#/today")  # a teacher's page is not a student's: back to the student's first page
    page.get_by_role("heading", name="My attendance").wait_for()
    assert "#/mine" in page.url
    sign_out(page)
    assert page.get_by_role("radio", name="Student").is_checked()  # the last role, remembered

    sign_in_as(page, "it@school.test", ADMIN)
    assert nav_links(page) == ["Accounts", "Audit log", "Webhooks", "Mail", "Settings"]
    sign_out(page)
    sign_in_as(page, "teacher@school.test", TEACHER)
    assert nav_links(page) == ["Today", "The term", "Requests"]


# -- creating one's own account ------------------------------------------------------------------


def sign_up(page, role, name, email, photo=None):
    """Chooses the role on the sign-in page, which the sign-up form then offers first."""
    page.goto("/#/signin")
    # Both pages have role buttons of the same names: act on each only once it shows.
    page.get_by_role("heading", name="Sign in to Rollcall").wait_for()
    page.get_by_role("radio", name=ROLE_LABELS[role]).check()
    page.get_by_role("link", name="Create an account").click()
    page.get_by_role("heading", name="Create an account").wait_for()
    assert page.get_by_role("radio", name=ROLE_LABELS[role]).is_checked()
    page.get_by_label("Your name").fill(name)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    if photo:
        page.get_by_label("Or choose a photo").set_input_files(
            {"name": photo, "mimeType": "image/jpeg", "buffer": fixture_bytes(photo)})
    page.get_by_role("button", name="Create my account").click()


@pytest.mark.settings(TEACHER_SIGNUP="closed")
def test_sign_up_says_what_is_missing_and_the_servers_refusal(page):
    page.goto("/#/signup")
    page.get_by_role("heading", name="Create an account").wait_for()
    look(page, "signup")
    page.get_by_label("Your name").fill("New Teacher")
    page.get_by_label("Email").fill("new@school.test")
    page.get_by_label("Password").fill("short")
    page.get_by_role("button", name="Create my account").click()
    page.get_by_role("alert").filter(has_text="at least 8 characters").wait_for()
    sign_up(page, TEACHER, "New Teacher", "new@school.test", photo="biden.jpg")
    page.get_by_role("alert").filter(has_text="created by the school's administrators").wait_for()
    assert user("new@school.test", TEACHER) is None


@pytest.mark.face
def test_a_teacher_signs_up_an_admin_approves_and_the_teacher_signs_in(page, it):
    sign_up(page, TEACHER, "New Teacher", "new@school.test", photo="biden.jpg")
    waiting = page.get_by_role("heading", name="Your account is waiting for approval")
    waiting.or_(page.get_by_role("alert")).first.wait_for(timeout=90000)  # the face model may load first
    assert waiting.is_visible(), page.get_by_role("alert").all_inner_texts()
    assert user("new@school.test", TEACHER).status == "pending_approval"
    sign_in_as(page, "it@school.test", ADMIN)
    waiting = page.get_by_role("list", name="Teachers waiting for approval")
    waiting.get_by_role("button", name="Approve: new@school.test").click()
    page.get_by_role("status").filter(has_text="new@school.test is now active.").wait_for()
    sign_out(page)
    sign_in_as(page, "new@school.test", TEACHER)
    page.get_by_text("Signed in as New Teacher.").wait_for()


@pytest.mark.face
def test_a_student_signs_up_with_a_photo_and_sees_their_attendance(page):
    sign_up(page, STUDENT, "Barack", "obama@school.test", photo="obama.jpg")
    attendance = page.get_by_role("heading", name="My attendance")
    attendance.or_(page.get_by_role("alert")).first.wait_for(timeout=90000)  # the face model may load first
    assert attendance.is_visible(), page.get_by_role("alert").all_inner_texts()
    page.get_by_text("Signed in as Barack.").wait_for()
    db.session.expire_all()
    student = user("obama@school.test", STUDENT)
    assert student.status == "active"
    assert db.session.scalar(select(FaceEncoding).where(FaceEncoding.user_id == student.id)) is not None


# -- the administrator ------------------------------------------------------------------------


def test_an_admin_approves_a_pending_teacher_who_then_signs_in(page, make_user, it):
    make_user("new@school.test", TEACHER, name="New Teacher")
    make_user("other@school.test", TEACHER, name="Other Applicant")
    set_status("new@school.test", TEACHER, "pending_approval")
    set_status("other@school.test", TEACHER, "pending_approval")
    page.goto("/")
    page.get_by_role("radio", name="Teacher").check()
    page.get_by_label("Email").fill("new@school.test")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("alert").filter(has_text="approv").wait_for()  # the server's sentence

    sign_in_as(page, "it@school.test", ADMIN)
    waiting = page.get_by_role("list", name="Teachers waiting for approval")
    waiting.get_by_text("new@school.test").wait_for()
    assert waiting.get_by_role("listitem").count() == 2
    look(page, "admin-accounts")
    for _ in range(30):  # by keyboard alone: Tab reaches the approval, Enter gives it
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.getAttribute('aria-label')") == "Approve: new@school.test":
            break
    page.keyboard.press("Enter")
    page.get_by_role("status").filter(has_text="new@school.test is now active.").wait_for()
    waiting.get_by_role("button", name="Refuse: other@school.test").click()
    page.get_by_role("status").filter(has_text="other@school.test is now suspended.").wait_for()
    page.get_by_text("No teacher is waiting.").wait_for()
    assert user("new@school.test", TEACHER).status == "active"
    assert user("other@school.test", TEACHER).status == "suspended"

    page.get_by_text("Create a teacher account").click()
    page.get_by_label("Teacher's name").fill("Made Here")
    page.get_by_label("Teacher's email").fill("made@school.test")
    page.get_by_label("First password").fill("short")
    page.get_by_role("button", name="Create the teacher").click()
    page.get_by_role("alert").filter(has_text="at least 8 characters").wait_for()
    page.get_by_label("First password").fill(PASSWORD)
    page.get_by_role("button", name="Create the teacher").click()
    page.get_by_role("status").filter(has_text="Teacher made@school.test created").wait_for()
    assert user("made@school.test", TEACHER).status == "active"

    sign_out(page)
    sign_in_as(page, "new@school.test", TEACHER)
    page.get_by_text("Signed in as New Teacher.").wait_for()


def test_an_admin_finds_accounts_suspends_reactivates_and_moves_a_former_teachers_sessions(page, make_user, it):
    make_user("obama@school.test", name="Barack")
    make_user("biden@school.test", name="Joe")
    make_user("teacher@school.test", TEACHER, name="Ms Leaving")
    make_user("next@school.test", TEACHER, name="Mr Next")
    make_session("teacher@school.test", ["obama@school.test"], starts=START)
    make_session("teacher@school.test", ["obama@school.test"], starts=START + timedelta(days=1))
    sign_in_as(page, "it@school.test", ADMIN)
    accounts = page.get_by_role("list", name="Accounts", exact=True)
    page.get_by_text("5 of 5 accounts.").wait_for()
    page.get_by_label("Role").select_option(label="Student")
    page.get_by_text("2 of 5 accounts.").wait_for()
    page.get_by_label("Name or email").fill("bar")
    page.get_by_text("1 of 5 accounts.").wait_for()
    assert "obama@school.test" in accounts.inner_text() and "biden" not in accounts.inner_text()

    accounts.get_by_role("button", name="Suspend: obama@school.test").click()
    page.get_by_role("status").filter(has_text="obama@school.test is now suspended.").wait_for()
    page.get_by_label("Status").select_option(label="Suspended")
    accounts.get_by_role("button", name="Reactivate: obama@school.test").click()
    page.get_by_role("status").filter(has_text="obama@school.test is now active.").wait_for()
    assert user("obama@school.test", STUDENT).status == "active"

    page.get_by_label("Name or email").fill("")
    page.get_by_label("Role").select_option(label="Teacher")
    page.get_by_label("Status").select_option(label="Any status")
    leaving_id = user("teacher@school.test", TEACHER).id
    accounts.get_by_role("button", name="Erase: teacher@school.test").click()  # the teacher leaves the school
    confirm = page.get_by_role("group", name="Erase teacher@school.test?")
    assert "former teacher" in confirm.inner_text()
    confirm.get_by_role("button", name="Erase teacher@school.test for good").click()
    former = f"former-teacher-{leaving_id}@erased.invalid"
    page.get_by_role("status").filter(has_text="2 class sessions kept under \"former teacher\"").wait_for()
    accounts.get_by_role("button", name=f"Move sessions: {former}").click()
    page.get_by_label(f"Move every session of {former} to").select_option("next@school.test")
    page.get_by_role("button", name="Move the sessions").click()
    page.get_by_role("status").filter(has_text="2 sessions now belong to next@school.test.").wait_for()
    db.session.expire_all()
    owners = {s.teacher_id for s in db.session.scalars(select(ClassSession))}
    assert owners == {user("next@school.test", TEACHER).id}
    screenshots(page, "admin-filtered")


def test_an_admin_erases_a_student_and_the_students_sessions_show_the_pseudonym(page, make_user, it):
    make_user("obama@school.test", name="Barack")
    make_user("biden@school.test", name="Joe")
    make_user("teacher@school.test", TEACHER, name="Ms Teacher")
    make_session("teacher@school.test", ["obama@school.test", "biden@school.test"], starts=START)
    student_id = user("obama@school.test", STUDENT).id
    sign_in_as(page, "it@school.test", ADMIN)
    page.get_by_label("Name or email").fill("obama")
    accounts = page.get_by_role("list", name="Accounts", exact=True)
    accounts.get_by_role("button", name="Erase: obama@school.test").click()
    confirm = page.get_by_role("group", name="Erase obama@school.test?")
    text = confirm.inner_text()
    assert "Deleted: its face templates" in text and "pseudonymised" in text and "erased-student-" in text
    look(page, "admin-erase-confirm")
    confirm.get_by_role("button", name="Erase obama@school.test for good").click()
    placeholder = f"erased-student-{student_id}@erased.invalid"
    done = page.get_by_role("status").filter(has_text=placeholder)
    done.wait_for()
    assert "1 attendance records pseudonymised" in done.inner_text()
    db.session.expire_all()
    assert db.session.scalar(select(FaceEncoding).where(FaceEncoding.user_id == student_id)) is None
    assert db.session.scalar(select(AttendanceRecord).where(AttendanceRecord.student_id == student_id)) is not None

    sign_out(page)
    sign_in_as(page, "teacher@school.test", TEACHER)
    page.get_by_role("link", name="Roster: Math 101, 11:55").click()
    page.get_by_role("row", name=re.compile(re.escape(placeholder))).wait_for()
    assert "obama@school.test" not in page.inner_text("main")


def test_the_audit_log_filters_pages_and_downloads_as_csv(page, make_user, it):
    make_user("obama@school.test", name="Barack")
    admin_id = user("it@school.test", ADMIN).id
    student_id = user("obama@school.test", STUDENT).id
    for day in range(30):  # 30 exports by the student over March, one a day, then one by the admin on a student
        db.session.add(AuditEntry(at=NOON - timedelta(days=day), kind="export", actor_id=student_id,
                                  subject_id=student_id))
    db.session.add(AuditEntry(at=NOON - timedelta(days=40), kind="erase.faces", actor_id=admin_id,
                              subject_id=student_id,
                              detail=json.dumps({"templates": 1})))
    db.session.commit()
    sign_in_as(page, "it@school.test", ADMIN)
    page.get_by_role("link", name="Audit log").click()
    page.get_by_role("heading", name="Audit log").wait_for()
    table = page.get_by_role("table", name="Audit entries")
    page.get_by_text(re.compile(r"Entries 1–25")).wait_for()
    look(page, "admin-audit")

    page.get_by_label("Action").fill("export")
    page.get_by_label("About (email)").fill("obama@school.test")
    page.get_by_label("Whose account").select_option(label="Student")
    page.get_by_role("button", name="Show entries").click()
    page.get_by_text("Entries 1–25 of 30.").wait_for()
    page.get_by_role("button", name="Older entries").click()
    page.get_by_text("Entries 26–30 of 30.").wait_for()
    assert page.get_by_role("button", name="Older entries").is_disabled()
    assert table.get_by_role("row").count() == 1 + 5

    page.get_by_label("From (date)").fill("2026-02-27")
    page.get_by_label("To (date)").fill("2026-03-01")
    page.get_by_role("button", name="Show entries").click()
    page.get_by_text("Entries 1–3 of 3.").wait_for()

    page.get_by_label("Action").fill("")
    page.get_by_label("From (date)").fill("")
    page.get_by_label("To (date)").fill("")
    page.get_by_label("Done by (email)").fill("it@school.test")
    page.get_by_label("Their account").select_option(label="Administrator")
    page.get_by_label("About (email)").fill("")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download as CSV").click()
    saved = download.value
    assert re.fullmatch(r"rollcall-audit-\d{4}-\d{2}-\d{2}\.csv", saved.suggested_filename)
    rows = list(csv.DictReader(io.StringIO(Path(saved.path()).read_text())))
    kinds = [row["kind"] for row in rows]
    assert "erase.faces" in kinds and "export" not in kinds and "admin.read_audit" in kinds
    db.session.expire_all()
    by_admin = db.session.scalars(select(AuditEntry).where(AuditEntry.actor_id == admin_id)).all()
    assert len(rows) == len(by_admin) - 1  # each entry once; the download's own read comes after it
    erased = next(row for row in rows if row["kind"] == "erase.faces")
    assert erased["subject_email_id"] == "obama@school.test" and json.loads(erased["detail"]) == {"templates": 1}


@pytest.mark.settings(TEACHER_SIGNUP="closed", LOW_ATTENDANCE_THRESHOLD=60.0,
                      SECRET_KEY="a-secret-for-the-settings-page")
def test_the_settings_page_shows_the_day_to_day_settings_read_only(page, it):
    sign_in_as(page, "it@school.test", ADMIN)
    page.get_by_role("link", name="Settings").click()
    page.get_by_text("Only administrators create teacher accounts.").wait_for()
    page.get_by_text("A student under 60% is flagged in the attendance report").wait_for()
    assert "a-secret-for-the-settings-page" not in page.content()
    page.get_by_text("Every setting", exact=True).click()
    page.get_by_role("row", name=re.compile(r"SECRET_KEY \*{8}")).wait_for()
    assert page.locator("input, select, textarea").count() == 0
    look(page, "admin-settings")


@pytest.mark.settings(WEBHOOK_ALLOW_PRIVATE=True)
def test_an_admin_adds_a_webhook_sees_its_secret_once_and_removes_it(page, it):
    sign_in_as(page, "it@school.test", ADMIN)
    page.get_by_role("link", name="Webhooks").click()
    page.get_by_text("No webhook yet.").wait_for()
    page.get_by_label("Address Rollcall posts each event to").fill("ftp://127.0.0.1/hook")
    page.get_by_label(re.compile("^attendance.marked")).check()
    page.get_by_role("button", name="Add the webhook").click()
    page.get_by_role("alert").filter(has_text=re.compile("http")).wait_for()
    page.get_by_label("Address Rollcall posts each event to").fill("http://127.0.0.1:9/rollcall-events")
    page.get_by_role("button", name="Add the webhook").click()
    shown = page.get_by_role("status").filter(has_text="Secret:")
    shown.wait_for()
    assert re.search(r"Secret: [0-9a-f]{64}", shown.inner_text())
    hooks = page.get_by_role("list", name="Webhooks")
    assert "attendance.marked" in hooks.inner_text() and "Delivered 0, waiting 0, failed 0." in hooks.inner_text()
    look(page, "admin-webhooks")
    hooks.get_by_role("button", name="Deliveries: http://127.0.0.1:9/rollcall-events").click()
    page.get_by_text("Nothing sent yet.").wait_for()
    hooks.get_by_role("button", name="Remove: http://127.0.0.1:9/rollcall-events").click()
    page.get_by_role("button", name="Remove http://127.0.0.1:9/rollcall-events").click()
    page.get_by_role("status").filter(has_text="Webhook removed.").wait_for()
    page.get_by_text("No webhook yet.").wait_for()


# -- the student ---------------------------------------------------------------------------------


def test_a_student_asks_for_leave_and_reads_the_teachers_answer(page, make_user):
    make_user("obama@school.test", name="Barack")
    make_user("teacher@school.test", TEACHER, name="Ms Teacher")
    make_session("teacher@school.test", ["obama@school.test"], starts=NOON - timedelta(days=1), name="Biology")
    make_session("teacher@school.test", ["obama@school.test"], starts=NOON + timedelta(days=3), name="History")
    sign_in_as(page, "obama@school.test", STUDENT)
    page.get_by_role("link", name="Leave").click()
    page.get_by_text("No request yet.").wait_for()
    assert "Biology" in page.get_by_label("Which class?").inner_text()
    page.get_by_label("Why").fill("I was ill.")
    page.get_by_role("button", name="Send the request").click()
    page.get_by_role("status").filter(has_text="Your request was sent to the teacher.").wait_for()
    mine = page.get_by_role("list", name="My leave requests")
    assert "Waiting for the teacher" in mine.inner_text() and "I was ill." in mine.inner_text()

    page.get_by_label("Which class?").select_option(label="Another class (type it in)")
    page.get_by_label("Class name").fill("History")
    page.get_by_label("Date").fill("2026-03-05")
    page.get_by_label("Starts at (school time)").fill("12:00")
    page.get_by_label("Ends at (school time)").fill("13:00")
    page.get_by_label("Why").fill("Dentist appointment.")
    page.get_by_role("button", name="Send the request").click()
    mine.get_by_text(re.compile("Dentist appointment")).wait_for()
    look(page, "student-leave")

    from services import leave
    request = leave.own_requests(user("obama@school.test", STUDENT), (None, 0))
    biology = next(r for r in request if r.class_name == "Biology")
    leave.decide(user("teacher@school.test", TEACHER), biology.id, "approve", "Get well soon.")
    db.session.commit()
    page.reload()
    mine.get_by_text("Approved: excused").wait_for()
    assert "Get well soon." in mine.inner_text()


def test_a_student_sees_attendance_by_class_with_counts_records_and_a_chart(page, make_user):
    make_user("obama@school.test", name="Barack")
    make_user("teacher@school.test", TEACHER, name="Ms Teacher")
    for days, name in ((14, "Biology"), (9, "Biology"), (7, "Biology"), (2, "Biology"), (1, "History"), (0, "History")):
        make_session("teacher@school.test", ["obama@school.test"], starts=NOON - timedelta(days=days, hours=2),
                     name=name)
    db.session.expire_all()
    records = db.session.scalars(select(AttendanceRecord).join(ClassSession).order_by(ClassSession.starts_at)).all()
    for record, status in zip(records, ("present", "present", "absent", "excused", "present", None)):
        if status:
            record.status, record.method = status, "manual"
            record.marked_time = NOON.replace(tzinfo=None) if status == "present" else None
    db.session.commit()
    make_session("teacher@school.test", ["obama@school.test"], starts=START, name="Art")  # running now
    sign_in_as(page, "obama@school.test", STUDENT)
    page.get_by_text("60% present: 3 present, 2 absent, 1 excused.").wait_for()  # History today: over, unmarked
    art = page.get_by_role("list", name="My classes").get_by_role("listitem").filter(
        has=page.get_by_role("heading", name="Art"))
    assert "No class over yet" in art.first.inner_text() and "Nothing over yet." in art.first.inner_text()
    page.get_by_role("link", name="Check in").nth(1).wait_for()  # "Art is running now. Check in"
    biology = page.get_by_role("list", name="My classes").get_by_role("listitem").filter(
        has=page.get_by_role("heading", name="Biology"))
    assert "67% present" in biology.first.inner_text()
    counts = page.get_by_role("list", name="Counts for Biology").inner_text()
    assert re.search(r"2\s+present", counts) and re.search(r"1\s+absent", counts) and re.search(r"1\s+excused", counts)
    assert page.get_by_role("list", name="Latest records of Biology").get_by_role("listitem").count() == 4
    assert page.get_by_role("img", name=re.compile("week by week over 3 weeks")).is_visible()
    look(page, "student-attendance")


def test_a_student_deletes_their_faces_and_reads_what_was_done_with_their_data(page, make_user):
    make_user("obama@school.test", name="Barack")
    make_user("teacher@school.test", TEACHER, name="Ms Teacher")
    yesterday = NOON - timedelta(days=1)
    make_session("teacher@school.test", ["obama@school.test"], starts=yesterday)
    slot = sessions.Slot("Math 101", yesterday.date(), yesterday.time(), (yesterday + timedelta(hours=1)).time())
    corrections.set_status(user("teacher@school.test", TEACHER), slot, "obama@school.test", "excused", "Doctor's note")
    db.session.commit()
    sign_in_as(page, "obama@school.test", STUDENT)
    page.get_by_role("link", name="Check in").first.click()
    page.get_by_text("No class is open for check-in right now.").wait_for()
    page.get_by_role("link", name="My faces").click()
    page.get_by_text("1 of 10 faces enrolled.").wait_for()
    page.get_by_role("button", name="Delete all my faces").click()
    page.get_by_role("button", name="Yes, delete every face").click()
    page.get_by_text("No face enrolled").wait_for()
    assert page.get_by_role("status").filter(has_text="1 face templates erased").is_visible()
    db.session.expire_all()
    student_id = user("obama@school.test", STUDENT).id
    assert db.session.scalar(select(FaceEncoding).where(FaceEncoding.user_id == student_id)) is None
    page.get_by_role("link", name="My data").click()
    done = page.get_by_role("list", name="What was done with my data")
    done.get_by_text("Your faces were deleted").wait_for()
    assert done.get_by_text("You downloaded your data").count() == 0  # opening My faces exports nothing
    assert "Math 101 on 2026-03-01: not marked → excused (“Doctor's note”)" in done.inner_text()
    look(page, "student-data-audit")


def test_a_refused_check_in_is_said_in_plain_words_with_the_servers_sentence(page, make_user):
    """The page's side of a check-in whatever the server answers (the real one is the next test)."""
    make_user("obama@school.test", name="Barack")
    make_user("teacher@school.test", TEACHER, name="Ms Teacher")
    make_session("teacher@school.test", ["obama@school.test"], starts=START)
    answers = [(422, {"ERROR": "The face in the selfie does not match your enrolled face.", "code": "face_mismatch"}),
               (409, {"ERROR": "Attendance is already recorded as present.", "code": "already_marked"})]
    sent = []

    def answer(route):
        sent.append(route.request.post_data_buffer)
        status, body = answers[len(sent) - 1]
        route.fulfill(status=status, json=body)

    page.route("**/api/v1/mark_attendance", answer)
    sign_in_as(page, "obama@school.test", STUDENT)
    page.get_by_role("link", name="Check in").first.click()
    page.wait_for_function("() => document.querySelector('video')?.videoWidth > 0")
    page.get_by_role("button", name="Check in", exact=True).click()
    result = page.get_by_role("status").filter(has_text="That does not look like your enrolled face.")
    result.wait_for()
    assert "does not match your enrolled face" in result.inner_text() and "good light" in result.inner_text()
    assert b'name="image_file"; filename="selfie.jpg"' in sent[0] and b"\xff\xd8\xff" in sent[0]
    assert b'name="presence_code"' not in sent[0]  # an empty code field sends nothing
    page.get_by_role("button", name="Check in", exact=True).focus()  # again, by keyboard
    page.keyboard.press("Enter")
    page.get_by_role("status").filter(has_text="You are already marked for this class.").wait_for()
    assert len(sent) == 2


@pytest.mark.face
def test_a_student_checks_in_with_the_camera_adds_a_face_downloads_the_export_and_deletes_the_account(page, make_user):
    make_user("teacher@school.test", TEACHER, photo="lin_manuel_miranda.png", name="Ms Teacher")
    make_user("obama@school.test", photo="obama.jpg", name="Barack")
    make_session("teacher@school.test", ["obama@school.test"], starts=START)
    session = db.session.scalar(select(ClassSession))
    presence.require_code([session])
    db.session.commit()
    sign_in_as(page, "obama@school.test", STUDENT)
    page.get_by_role("link", name="Check in").first.click()
    page.get_by_role("radio", name=re.compile("Math 101")).wait_for()
    assert page.get_by_role("radio", name=re.compile("Math 101")).is_checked()
    page.wait_for_function("() => document.querySelector('video')?.videoWidth > 0")
    look(page, "student-checkin")
    page.get_by_role("button", name="Check in", exact=True).click()
    page.get_by_role("status").filter(has_text="The presence code is needed").wait_for(timeout=60000)
    assert page.evaluate("document.activeElement.name") == "presence_code"
    page.get_by_label("Presence code shown in the room").fill(presence.current_code(session).code)
    page.get_by_role("button", name="Check in", exact=True).click()
    page.get_by_role("status").filter(has_text="You are marked present in Math 101.").wait_for(timeout=60000)
    db.session.expire_all()
    record = db.session.scalar(select(AttendanceRecord))
    assert (record.status, record.method) == ("present", "selfie")
    screenshots(page, "student-checked-in")

    page.get_by_role("link", name="My faces").click()
    page.get_by_text("1 of 10 faces enrolled.").wait_for()
    page.get_by_label("Or choose a photo of your face").set_input_files(
        {"name": "me.jpg", "mimeType": "image/jpeg", "buffer": fixture_bytes("obama_2.jpg")})
    page.get_by_role("button", name="Add this face").click()
    page.get_by_role("status").filter(has_text="Face added: 2 enrolled now.").wait_for(timeout=60000)
    assert page.get_by_role("list", name="Enrolled faces").get_by_role("listitem").count() == 2
    look(page, "student-faces")

    page.get_by_role("link", name="My data").click()
    with page.expect_download() as download:
        page.get_by_role("button", name="Download my data").click()
    saved = download.value
    exported = json.loads(Path(saved.path()).read_text())
    assert exported["profile"]["email_id"] == "obama@school.test" and exported["faces"]["count"] == 2
    assert [r["status"] for r in exported["records"]] == ["present"]
    page.get_by_text(f"Downloaded {saved.suggested_filename}").wait_for()
    look(page, "student-data")

    page.get_by_label("Your password, to confirm").fill("not my password")
    page.get_by_label("I understand this cannot be undone").check()
    page.get_by_role("button", name="Delete my account").click()
    page.get_by_role("alert").filter(has_text="Wrong password").wait_for()
    page.get_by_label("Your password, to confirm").fill(PASSWORD)
    page.get_by_role("button", name="Delete my account").click()
    page.get_by_role("heading", name="Your account is deleted").wait_for()
    assert "Your 1 attendance records were kept under a pseudonym." in page.inner_text("main")
    db.session.expire_all()
    assert db.session.scalar(select(User).where(User.email == "obama@school.test")) is None
    assert db.session.scalar(select(AttendanceRecord)).status == "present"  # kept, now under the pseudonym
    page.get_by_role("link", name="Back to the sign-in page").click()
    page.get_by_role("heading", name="Sign in to Rollcall").wait_for()
