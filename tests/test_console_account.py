"""A student's "My account" page in a real browser, with the harness of tests/test_console.py:
the profile; the guardian's address named, changed and removed (set_guardian_email); and, under
VERIFY_INVITED_EMAILS, the invited address proven with the code mailed through a real SMTP server
(aiosmtpd, as in tests/test_mail.py): a request too soon refused, a wrong code refused with the
server's sentence, the right one, and the student on the inviting session's roster."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from models import STUDENT, AttendanceRecord, AuditEntry, ClassSession, User, db
from services import mail
from tests.helpers import NOON, START, create_class
from tests.test_console import browser, page, server  # noqa: F401
from tests.test_console_roles import look, sign_in_as
from tests.test_invitations import enroll_without_model, register  # noqa: F401 (a fixture)
from tests.test_mail import run

pytestmark = pytest.mark.browser

OBAMA, KIT = "obama@school.test", "kit@school.test"
GUARDIAN, OTHER_GUARDIAN = "michelle@home.test", "marian@home.test"


@pytest.fixture
def settings(settings, smtp):
    return {**settings, "SMTP_URL": smtp.url}


def guardian_kept(student_email):
    db.session.commit()  # ends this session's read, so the server's commits are seen
    return mail.guardian_of(student_email)


def open_my_account(page):
    page.get_by_role("navigation", name="Main").get_by_role("link", name="My account").click()
    page.get_by_role("heading", name="My account", level=1).wait_for()


def test_a_student_names_their_guardian_changes_and_removes_it(page, make_user):
    make_user(OBAMA, name="Barack")
    sign_in_as(page, OBAMA, STUDENT)
    open_my_account(page)
    profile = page.get_by_role("region", name="Profile")
    profile.get_by_text("Barack", exact=True).wait_for()
    assert profile.get_by_text(OBAMA, exact=True).is_visible()
    page.get_by_text("No guardian's address is kept.").wait_for()
    assert page.get_by_role("heading", name="Prove your email address").count() == 0  # nothing waits for proof
    look(page, "account")

    field = page.get_by_label("Guardian's email")
    field.fill("not-an-address")
    page.get_by_role("button", name="Save the guardian's email").click()
    page.get_by_role("alert").filter(has_text="is not an email address").wait_for()  # the server's sentence
    assert guardian_kept(OBAMA) is None

    field.fill(GUARDIAN)
    field.press("Enter")  # by keyboard
    page.get_by_role("status").filter(has_text="Guardian's address saved.").wait_for()
    page.get_by_text(f"Kept now: {GUARDIAN}").wait_for()
    assert guardian_kept(OBAMA) == GUARDIAN

    field.fill(OTHER_GUARDIAN)
    page.get_by_role("button", name="Change the guardian's email").click()
    page.get_by_text(f"Kept now: {OTHER_GUARDIAN}").wait_for()
    assert guardian_kept(OBAMA) == OTHER_GUARDIAN
    page.reload()  # what the page shows is what the server keeps
    page.get_by_role("heading", name="My account", level=1).wait_for()
    page.get_by_text(f"Kept now: {OTHER_GUARDIAN}").wait_for()

    page.get_by_role("button", name="Remove the guardian's email").click()
    page.get_by_role("status").filter(has_text="No guardian's address is kept now.").wait_for()
    page.get_by_text("No guardian's address is kept.").wait_for()
    assert guardian_kept(OBAMA) is None
    # the guardian comes with the profile: reading the page is no data export
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.kind == "export")) is None


def code_mailed_to(smtp, address):
    message = smtp.inbox.to(address)[-1]
    return re.search(r"code is (\d{6})", message.get_content()).group(1)


def kits_sessions():
    db.session.commit()
    return db.session.execute(
        select(ClassSession.class_name, ClassSession.class_date).join(
            AttendanceRecord, AttendanceRecord.session_id == ClassSession.id)
        .join(User, AttendanceRecord.student_id == User.id).where(User.email == KIT, User.role == STUDENT)).all()


@pytest.mark.settings(VERIFY_INVITED_EMAILS=True)
def test_an_invited_student_proves_the_address_with_the_mailed_code_and_joins_the_roster(
        page, app, client, teacher, at, smtp, enroll_without_model):
    tomorrow = START + timedelta(days=1)
    for start, name in ((tomorrow, "Math 101"), (START - timedelta(days=1), "Art")):  # Art: already held
        invited = create_class(client, teacher, roster=KIT, start=start, class_name=name)
        assert invited.get_json()["invited_student_email_ids"] == [KIT], invited.get_json()
    register(client, KIT)  # an invited address: the account waits for proof, and a first code is queued

    sign_in_as(page, KIT, STUDENT)
    open_my_account(page)
    proof = page.get_by_role("region", name="Prove your email address")
    invited = proof.get_by_role("list", name="Classes that invited this address")
    invited.get_by_text("Math 101").wait_for()
    assert invited.get_by_role("listitem").filter(has_text="Art").get_by_text("already held").is_visible()
    look(page, "account-proof")

    page.get_by_role("button", name="Mail me a code").click()  # registration asked for one a moment ago
    page.get_by_role("alert").filter(has_text="A code was asked for a moment ago").wait_for()
    at(NOON + timedelta(minutes=2))
    page.get_by_role("button", name="Mail me a code").click()
    page.get_by_role("status").filter(has_text=f"A code is on its way to {KIT}").wait_for()
    assert page.evaluate("document.activeElement.name") == "code"  # straight to the field
    run(app, "mail", "send")
    code = code_mailed_to(smtp, KIT)

    field = page.get_by_label("The code from the mail")
    field.fill("000000" if code != "000000" else "111111")
    page.get_by_role("button", name="Prove my address").click()
    page.get_by_role("alert").filter(has_text="This is not the code that was sent; 4 tries left.").wait_for()
    assert kits_sessions() == []

    field.fill(code)
    field.press("Enter")
    page.get_by_role("status").filter(has_text="Address proven; 1 class sessions joined.").wait_for()
    page.get_by_role("list", name="Classes joined").get_by_text("Math 101").wait_for()
    assert page.get_by_role("list", name="Classes joined").get_by_role("listitem").count() == 1
    assert kits_sessions() == [("Math 101", tomorrow.date())]
    page.get_by_role("region", name="Profile").get_by_text("Ms Teacher (teacher@school.test)").wait_for()
    assert page.get_by_role("button", name="Mail me a code").count() == 0
    look(page, "account-proven")
