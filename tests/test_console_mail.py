"""The administrator's Mail page and the teacher's students waiting for proof of their address,
in a real browser with the console's harness (tests/test_console.py): mail the app queued (weekly
low-attendance notices, codes proving an address) read with its state, paged and filtered; and,
under VERIFY_INVITED_EMAILS, a teacher confirming an invited student who registered, who then
is on the rosters."""
import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from models import ADMIN, TEACHER, AttendanceRecord, MailMessage, RosterInvitation, User, db
from tests.helpers import NOON, PASSWORD, START, create_class, fixture_bytes, post, slot_fields
from tests.test_console import browser, page, server, sign_in, slot_query  # noqa: F401
from tests.test_console_roles import look, sign_in_as, sign_out
from tests.test_invitations import enroll_without_model  # noqa: F401 (a fixture)
from tests.test_mail import run

pytestmark = pytest.mark.browser

OBAMA, GUARDIAN = "obama@school.test", "michelle@home.test"
KIT, LEE = "kit@school.test", "lee@school.test"
VERIFY = dict(VERIFY_INVITED_EMAILS=True)


@pytest.fixture
def settings(settings, smtp):
    return {**settings, "SMTP_URL": smtp.url, "MAIL_FROM": "rollcall@school.test"}


def register(client, email, name):
    """A student registering through the API, as a phone would (the face model stood in)."""
    answer = post(client, "register_student", email_id=email, name=name, passwd_hash=PASSWORD,
                  image_file=(io.BytesIO(fixture_bytes("kit_harington.jpg")), "kit.jpg"))
    assert answer.status_code == 200, answer.get_json()
    return email, answer.get_json()["token"]


def outbox():
    db.session.expire_all()
    return {(m.recipient, m.kind): m.status for m in db.session.scalars(select(MailMessage))}


def mail_rows(page):
    return page.get_by_role("region", name="Mail", exact=True).get_by_role("row").filter(has=page.get_by_role("cell"))


def open_mail_page(page):
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Mail").click()
    page.get_by_role("heading", name="Mail", exact=True).wait_for()


# -- the administrator's Mail page ---------------------------------------------------------------


@pytest.mark.settings(TIMEZONE="Europe/Paris", **VERIFY)
def test_mail_the_app_queued_is_read_with_its_state_paged_and_filtered(app, page, client, teacher, make_user, it, at,
                                                                       smtp, enroll_without_model):
    at(NOON)
    students = [OBAMA] + [f"student{n:02d}@school.test" for n in range(1, 23)]
    for email in students:
        make_user(email, name=email.split("@")[0].capitalize())
    # Yesterday's class, missed by all 23; the roster file names Barack's guardian and invites Kit and Lee.
    csv = "email,guardian_email\n" + "".join(f"{e},{GUARDIAN if e == OBAMA else ''}\n" for e in students) \
        + f"{KIT},\n{LEE},\n"
    created = create_class(client, teacher, roster=None, start=START - timedelta(days=1),
                           roster_file=(io.BytesIO(csv.encode()), "roster.csv"))
    assert created.status_code == 200, created.get_json()
    assert "24 low-attendance notices queued" in run(app, "mail", "weekly")  # 23 students and one guardian
    assert "24 mails attempted" in run(app, "mail", "send")
    # Kit registers (his code is queued) and an administrator vouches for him before it goes out:
    # the sender gives the code up at once.
    at(NOON + timedelta(minutes=10))
    register(client, KIT, "Kit")
    assert post(client, "confirm_student_email", it[1], email_id=it[0], invited_email_id=KIT).status_code == 200
    run(app, "mail", "send")
    # Lee registers while the mail server is away: his code waits, with the error, for its next try.
    at(NOON + timedelta(minutes=20))
    register(client, LEE, "Lee")
    smtp.stop()
    run(app, "mail", "send")
    assert outbox()[(KIT, "claim_code")] == "failed" and outbox()[(LEE, "claim_code")] == "pending"

    sign_in_as(page, "it@school.test", ADMIN)
    open_mail_page(page)
    server_line = page.locator("p.mail-server", has_text="Mail goes out through")
    server_line.wait_for()
    assert f"smtp://127.0.0.1:{smtp.port}" in server_line.inner_text()
    assert "from rollcall@school.test" in server_line.inner_text()
    assert "every 30 s" in server_line.inner_text()
    page.get_by_text("Mail 1–25, newest first.").wait_for()
    rows = mail_rows(page)
    assert rows.count() == 25
    lee, kit, latest_notice = (rows.nth(i).inner_text() for i in range(3))
    # Times on the school's clock (Paris, an hour ahead of UTC in March).
    assert LEE in lee and "Code proving an address" in lee and "Your Rollcall code" in lee and "Waiting" in lee
    assert "Tried once, the last Mon 2 Mar 2026, 13:20; next try Mon 2 Mar 2026, 13:21" in lee
    assert "Last error: ConnectionRefusedError" in lee
    assert KIT in kit and "Failed" in kit and "Given up after trying once" in kit
    assert "Last error: the address was proven meanwhile; no code needed" in kit
    assert "Low-attendance notice" in latest_notice and "Sent Mon 2 Mar 2026, 13:00" in " ".join(latest_notice.split())
    assert "Attendance under 75%" in latest_notice
    assert "Please talk to the teacher" not in page.inner_text("main")  # never a mail's text
    look(page, "mail")

    # Paging: the oldest mail on the second page.
    page.get_by_role("button", name="Older mail").click()
    page.get_by_text("Mail 26–26, newest first.").wait_for()
    assert rows.count() == 1 and "Low-attendance notice" in rows.first.inner_text()
    assert page.get_by_role("button", name="Older mail").is_disabled()
    page.get_by_role("button", name="Newer mail").click()
    page.get_by_text("Mail 1–25, newest first.").wait_for()
    assert page.get_by_role("button", name="Newer mail").is_disabled()

    # Filtered by state on the server.
    asked = []
    page.on("request", lambda r: asked.append(r.post_data_buffer) if r.url.endswith("/admin_list_mail") else None)
    page.get_by_label("State").select_option(label="Failed")
    page.get_by_role("button", name="Show mail").click()
    page.get_by_text("Mail 1–1, newest first.").wait_for()
    assert KIT in rows.first.inner_text() and rows.count() == 1
    assert b'name="status"\r\n\r\nfailed' in asked[-1]
    page.get_by_label("State").select_option(label="Waiting")
    page.get_by_label("State").focus()
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # the keyboard reaches Show mail
    page.get_by_role("cell", name=LEE).wait_for()
    assert rows.count() == 1
    page.get_by_label("State").select_option(label="Sent")
    page.get_by_role("button", name="Show mail").click()
    page.get_by_text("Mail 1–24, newest first.").wait_for()

    # A password in SMTP_URL is never shown: the server masks it.
    app.config["SMTP_URL"] = f"smtp://rollcall:s3cret@127.0.0.1:{smtp.port}?starttls=1"
    page.reload()
    page.get_by_role("heading", name="Mail", exact=True).wait_for()
    page.get_by_text(f"smtp://rollcall:***@127.0.0.1:{smtp.port}").wait_for()
    assert "s3cret" not in page.content()


@pytest.mark.settings(SMTP_URL=None, **VERIFY)
def test_without_smtp_the_mail_page_says_nothing_is_sent(page, it):
    sign_in_as(page, "it@school.test", ADMIN)
    open_mail_page(page)
    line = page.locator("p.mail-server", has_text="No mail is sent:")
    line.wait_for()
    assert "SMTP_URL is unset" in line.inner_text() and "their teacher or an administrator confirms them" in line.inner_text()
    page.get_by_role("cell", name="No mail yet.").wait_for()
    assert page.get_by_role("button", name="Older mail").is_disabled()
    look(page, "mail-off")


# -- the teacher confirms a student waiting for proof ----------------------------------------------


def records_of(email):
    db.session.expire_all()
    return sorted(db.session.scalars(
        select(AttendanceRecord.status).join(User, AttendanceRecord.student_id == User.id).where(User.email == email)
    ).all(), key=str)


def invitations_of(email):
    return db.session.scalar(select(func.count()).select_from(RosterInvitation).where(RosterInvitation.email == email))


def today_loaded(page, opening=None):
    """Today (opened again, or by ``opening``), once its look at who waits for proof is answered:
    from then on, no section means nobody waits."""
    with page.expect_response(lambda r: r.url.endswith("/get_students_awaiting_proof")):
        if opening:
            opening()
        elif "#/today" in page.url:
            page.reload()
        else:
            page.goto("/#/today")
    page.get_by_role("heading", name="Today's classes").wait_for()


@pytest.mark.settings(**VERIFY)
def test_a_teacher_confirms_a_student_waiting_for_proof_who_joins_the_rosters(page, client, teacher, make_user, it,
                                                                              enroll_without_model):
    make_user("rose@school.test", name="Rose")
    other = make_user("other@school.test", TEACHER, name="Mr Other")
    for start in (START, START + timedelta(days=1)):  # today's class, running, and tomorrow's
        assert create_class(client, teacher, roster=f"rose@school.test, {KIT}, {LEE}", start=start).status_code == 200
    assert create_class(client, other, roster="zoe@school.test", start=START).status_code == 200
    today_loaded(page, lambda: sign_in(page))
    assert page.get_by_role("heading", name="Waiting for proof of their address").count() == 0  # nobody waits

    register(client, KIT, "Kit Harington")
    register(client, LEE, "Lee")
    register(client, "zoe@school.test", "Zoe")  # another teacher's invitation: not this teacher's to confirm
    assert records_of(KIT) == [] and invitations_of(KIT) == 2
    today_loaded(page)
    section = page.get_by_role("region", name="Waiting for proof of their address")
    section.wait_for()
    waiting = section.get_by_role("list", name="Students waiting for proof of their address").get_by_role("listitem")
    assert waiting.count() == 2
    kit = waiting.filter(has_text=KIT)
    assert "Kit Harington" in kit.inner_text() and "invited to 2 of your sessions" in kit.inner_text()
    assert "Registered Mon 2 Mar 2026, 12:00" in kit.inner_text()
    assert "zoe@school.test" not in section.inner_text()
    look(page, "today-awaiting-proof")

    # A short confirmation first; "Not now" sends nothing.
    page.get_by_role("button", name=f"Confirm {KIT}").click()
    group = page.get_by_role("group", name=f"Confirm {KIT}?")
    assert "Do so only if you know this student" in group.inner_text()
    yes = group.get_by_role("button", name=f"Yes, confirm {KIT}")
    assert yes.evaluate("element => element === document.activeElement")  # the keyboard is on it
    look(page, "today-confirm-proof")
    group.get_by_role("button", name="Not now").click()
    assert group.count() == 0 and records_of(KIT) == []
    assert page.get_by_role("button", name=f"Confirm {KIT}").evaluate("element => element === document.activeElement")

    # Confirmed with a double tap: one request, the student on both rosters.
    page.keyboard.press("Enter")
    held = []
    page.route("**/api/v1/confirm_student_email", lambda route: held.append(route))
    yes.click()
    page.wait_for_function("() => document.querySelector('[aria-busy=true]')")
    assert yes.is_disabled()
    yes.click(force=True)
    page.wait_for_timeout(300)
    assert len(held) == 1
    held[0].continue_()
    page.unroute("**/api/v1/confirm_student_email")
    page.get_by_role("status").filter(
        has_text="Address proven; 2 class sessions joined. Kit Harington (kit@school.test) is on your rosters now.").wait_for()
    assert records_of(KIT) == [None, None] and invitations_of(KIT) == 0  # on both rosters, not marked yet
    assert waiting.count() == 1 and LEE in waiting.first.inner_text()

    # Lee proved his address meanwhile (an administrator vouched): the server's sentence, and Lee is gone.
    assert post(client, "confirm_student_email", it[1], email_id=it[0], invited_email_id=LEE).status_code == 200
    page.get_by_role("button", name=f"Confirm {LEE}").click()
    page.get_by_role("button", name=f"Yes, confirm {LEE}").click()
    page.get_by_role("alert").filter(has_text="Your address is already proven; there is nothing to claim.").wait_for()
    assert waiting.count() == 0
    assert records_of(LEE) == [None, None]

    # The roster shows Kit as a student now, not an invitation.
    page.goto(f"/#/roster?{slot_query()}")
    page.get_by_role("heading", name="Roster of Math 101").wait_for()
    kit_row = page.get_by_role("table").get_by_role("row").filter(
        has=page.get_by_role("rowheader", name=re.compile(re.escape(KIT))))
    kit_row.get_by_text("Not yet marked").wait_for()

    # Nobody waits any more: Today says nothing of it.
    today_loaded(page)
    assert page.get_by_role("heading", name="Waiting for proof of their address").count() == 0
    sign_out(page)
