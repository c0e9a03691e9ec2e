"""The teacher's roster page in a real browser, with the console's harness (tests/test_console.py):
students added by email, removed with a confirmation, a marked student removed only when the
teacher confirms again (force), and every change in the roster's history."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from models import TEACHER, AttendanceRecord, RosterInvitation, User, db
from services import corrections, sessions
from tests.helpers import NOON, START, make_session
from tests.test_console import browser, page, server, sign_in, slot_query  # noqa: F401
from tests.test_console_roles import look

pytestmark = pytest.mark.browser


def roster():
    """The session's roster in the database: each student's email and record status, and the
    invited emails (no account yet) as "invited"."""
    db.session.expire_all()
    rows = db.session.execute(select(User.email, AttendanceRecord.status)
                              .join(AttendanceRecord, AttendanceRecord.student_id == User.id)).all()
    invited = db.session.scalars(select(RosterInvitation.email)).all()
    return {**{r.email: r.status for r in rows}, **{email: "invited" for email in invited}}


def mark_present(email):
    teacher = db.session.scalar(select(User).where(User.email == "teacher@school.test", User.role == TEACHER))
    slot = sessions.Slot("Math 101", START.date(), START.time(), (START + timedelta(hours=1)).time())
    corrections.set_status(teacher, slot, email, "present", None)
    db.session.commit()


def open_roster_page(page):
    page.get_by_role("link", name="Roster: Math 101, 11:55").click()
    page.get_by_role("heading", name="Math 101", exact=True).wait_for()
    page.get_by_role("link", name="Edit the roster").click()
    page.get_by_role("heading", name="Roster of Math 101").wait_for()


def row(page, email):
    return page.get_by_role("table").get_by_role("row").filter(
        has=page.get_by_role("rowheader", name=re.compile(re.escape(email))))


def test_a_teacher_adds_removes_and_force_removes_a_marked_student_and_reads_the_history(page, make_user, teacher, at):
    for email, name in (("obama@school.test", "Barack"), ("biden@school.test", "Joe"), ("rose@school.test", "Rose"),
                        ("kit@school.test", "Kit")):
        make_user(email, name=name)
    make_session("teacher@school.test", ["biden@school.test", "rose@school.test", "kit@school.test"], starts=START)
    mark_present("rose@school.test")
    sign_in(page)
    open_roster_page(page)
    row(page, "rose@school.test").get_by_text("Present").wait_for()
    page.get_by_text("No change to this roster yet.").wait_for()
    look(page, "roster")

    # Nothing typed: said in the page, nothing sent.
    page.get_by_role("button", name="Add to the roster").click()
    page.get_by_role("alert").filter(has_text="Type at least one email address.").wait_for()
    # A bad address: the server's sentence, nothing added.
    page.get_by_label("Students' emails").fill("obama@school.test, not-an-address")
    page.get_by_role("button", name="Add to the roster").click()
    page.get_by_role("alert").filter(has_text="'not-an-address' in add_student_email_ids is not an email address.").wait_for()
    assert roster() == {"biden@school.test": None, "rose@school.test": "present", "kit@school.test": None}

    # Added by email, one a line; one already there, one without an account (invited).
    at(NOON + timedelta(minutes=1))
    page.get_by_label("Students' emails").fill("Obama@school.test\nkit@school.test\nnew.student@school.test")
    add = page.get_by_role("button", name="Add to the roster")
    add.click()
    notice = page.get_by_role("status").filter(has_text="Added obama@school.test.")
    notice.wait_for()
    assert "Invited new.student@school.test" in notice.inner_text()
    assert "Already on the roster: kit@school.test." in notice.inner_text()
    assert page.get_by_label("Students' emails").input_value() == ""
    row(page, "obama@school.test").get_by_text("Not yet marked").wait_for()
    assert "No account yet" in row(page, "new.student@school.test").inner_text()
    assert roster() == {"biden@school.test": None, "rose@school.test": "present", "kit@school.test": None,
                        "obama@school.test": None, "new.student@school.test": "invited"}

    # A student without a mark: one confirmation, then gone.
    at(NOON + timedelta(minutes=2))
    page.get_by_role("button", name="Remove Joe (biden@school.test)").click()
    group = page.get_by_role("group", name="Remove Joe (biden@school.test)?")
    assert "The other sessions of Math 101 keep them." in group.inner_text()
    page.get_by_role("button", name="Keep them").click()  # changed one's mind: still there
    assert roster()["biden@school.test"] is None
    page.get_by_role("button", name="Remove Joe (biden@school.test)").click()
    confirm = group.get_by_role("button", name="Remove Joe (biden@school.test)")
    assert confirm.evaluate("element => element === document.activeElement")  # the keyboard is on it
    confirm.click()
    page.get_by_role("status").filter(has_text="Removed Joe (biden@school.test) from this session.").wait_for()
    assert row(page, "biden@school.test").count() == 0
    assert "biden@school.test" not in roster()

    # A student with a mark: the server refuses without force, the page says why and offers it.
    at(NOON + timedelta(minutes=3))
    page.get_by_role("button", name="Remove Rose (rose@school.test)").click()
    rose = "Remove Rose (rose@school.test)"
    page.get_by_role("group", name=f"{rose}?").get_by_role("button", name=rose).click()
    explanation = page.get_by_role("alert").filter(
        has_text="Rose (rose@school.test) already has a mark in this session")
    explanation.wait_for()
    assert "rose@school.test is already marked present in Math 101" in explanation.inner_text()  # the server's words
    assert roster()["rose@school.test"] == "present"
    look(page, "roster-force")
    sent = []
    page.on("request", lambda request: sent.append(request) if request.url.endswith("/update_roster") else None)
    anyway = page.get_by_role("button", name="Remove Rose (rose@school.test) anyway")
    anyway.click()
    page.get_by_role("status").filter(has_text="Removed Rose (rose@school.test) from this session.").wait_for()
    assert len(sent) == 1 and b'name="force"\r\n\r\n1' in sent[0].post_data_buffer
    assert row(page, "rose@school.test").count() == 0
    assert roster() == {"kit@school.test": None, "obama@school.test": None, "new.student@school.test": "invited"}

    # Every change, newest first, on the school's clock, with who made it.
    history = page.get_by_role("region", name="Roster changes").get_by_role("listitem")
    history.filter(has_text="rose@school.test").wait_for()
    lines = history.all_inner_texts()
    assert lines == [
        "Mon 2 Mar 2026, 12:03 · teacher@school.test removed rose@school.test, who was marked Present",
        "Mon 2 Mar 2026, 12:02 · teacher@school.test removed biden@school.test",
        "Mon 2 Mar 2026, 12:01 · teacher@school.test invited new.student@school.test (no account yet)",
        "Mon 2 Mar 2026, 12:01 · teacher@school.test added obama@school.test",
    ], lines
    look(page, "roster-history")

    # Back on the session page, the roster is the edited one.
    page.get_by_role("link", name="Math 101", exact=True).click()
    page.get_by_role("heading", name="Math 101", exact=True).wait_for()
    page.get_by_text("0 of 2 present").wait_for()


@pytest.mark.settings(TIMEZONE="Europe/Paris")
def test_the_roster_history_is_on_the_schools_clock_and_a_double_click_sends_one_removal(page, make_user, teacher):
    make_user("biden@school.test", name="Joe")
    make_session("teacher@school.test", ["biden@school.test"], starts=START)
    sign_in(page)
    page.goto(f"/#/roster?{slot_query()}")
    page.get_by_role("heading", name="Roster of Math 101").wait_for()
    page.get_by_role("button", name="Remove Joe (biden@school.test)").click()
    held = []
    page.route("**/api/v1/update_roster", lambda route: held.append(route))
    joe = "Remove Joe (biden@school.test)"
    confirm = page.get_by_role("group", name=f"{joe}?").get_by_role("button", name=joe)
    confirm.click()
    page.wait_for_function("() => document.querySelector('[aria-busy=true]')")
    assert confirm.is_disabled()
    confirm.click(force=True)  # a second tap while the first is on its way
    page.wait_for_timeout(300)
    assert len(held) == 1
    held[0].continue_()
    page.get_by_role("status").filter(has_text="Removed Joe (biden@school.test)").wait_for()
    item = page.get_by_role("region", name="Roster changes").get_by_role("listitem").first
    item.filter(has_text="biden@school.test").wait_for()
    assert item.inner_text().startswith("Mon 2 Mar 2026, 13:00 ·")  # noon UTC is 13:00 in Paris in March
    assert "biden@school.test" not in roster()
