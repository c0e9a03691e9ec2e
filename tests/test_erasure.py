"""Erasure erases (issue 27, finding 6): after delete_my_account or admin_erase_user no row of
any table keeps the person's address or name (roster changes, invitations, notes, audit
details, reviews), the teacher's listings show the placeholder; and export_my_data shows
every row that names them before that."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from models import AttendanceEvent, RosterEvent, RosterInvitation, User, db
from tests.helpers import NOON, PASSWORD, START, create_class, post, slot_fields
from tests.test_privacy import rows_holding

ZEB, NAME = "zeb@school.test", "Zebediah Quill"
LAST_WEEK = START - timedelta(days=7)


@pytest.fixture
def zeb_everywhere(client, make_user, at, teacher, it):
    """Zeb invited to last week's class before he had an account (that invitation stays),
    then enrolled, added, removed and added back to today's, named in a note on someone else's
    record, in an admin's audit filter and in a review."""
    at(NOON)
    make_user("rose@school.test", name="Rose")
    t_email, t_token = teacher
    assert create_class(client, teacher, roster=f"{ZEB},rose@school.test", start=LAST_WEEK).status_code == 200
    zeb = make_user(ZEB, name=NAME)
    assert create_class(client, teacher, roster="rose@school.test").status_code == 200

    def roster(**fields):
        response = post(client, "update_roster", t_token, teacher_email_id=t_email, **slot_fields(START), **fields)
        assert response.status_code == 200, response.get_json()
    roster(add_student_email_ids=ZEB)
    roster(remove_student_email_ids=ZEB, force="1")
    roster(add_student_email_ids=ZEB)
    note = post(client, "set_attendance", t_token, teacher_email_id=t_email, student_email_id="rose@school.test",
                status="excused", note=f"came with {NAME} ({ZEB.upper()})", **slot_fields(START))
    assert note.status_code == 200
    assert post(client, "admin_audit_log", it[1], email_id=it[0], kind=ZEB).status_code == 200
    assert post(client, "submit_review", review=f"{NAME} says hi").status_code == 200
    assert db.session.scalar(select(RosterInvitation.email)) == ZEB
    assert {table for table, _ in rows_holding(ZEB)} >= {"users", "roster_events", "roster_invitations",
                                                         "attendance_events", "audit_log"}
    return zeb


def test_export_shows_every_row_that_names_the_student(client, zeb_everywhere):
    email, token = zeb_everywhere
    body = post(client, "export_my_data", token, email_id=email).get_json()
    assert [c["action"] for c in body["roster_changes"]] == ["added", "removed", "added"]
    assert [(i["class_date"], i["start_time"]) for i in body["invitations"]] == [
        (LAST_WEEK.date().isoformat(), LAST_WEEK.strftime("%H:%M"))]
    mentioned = {(m["table"], m["column"]) for m in body["mentions"]}
    assert mentioned == {("attendance_events", "note"), ("audit_log", "detail"), ("reviews", "text")}
    # every row of every table naming him shows in the export, once
    holding = set(rows_holding(ZEB, NAME))  # a row holding both the address and the name counts once
    shown = 1 + len(body["roster_changes"]) + len(body["invitations"]) + len(body["mentions"])
    assert len(holding) == shown, holding


@pytest.mark.parametrize("how", ["delete_my_account", "admin_erase_user"])
def test_after_erasure_no_row_of_any_table_names_the_student(client, zeb_everywhere, teacher, it, how):
    email, token = zeb_everywhere
    if how == "delete_my_account":
        response = post(client, "delete_my_account", token, email_id=email, passwd_hash=PASSWORD)
    else:
        response = post(client, "admin_erase_user", it[1], email_id=it[0], user_email_id=email, user_type="0")
    assert response.status_code == 200, response.get_json()
    assert rows_holding(ZEB, NAME) == []
    placeholder = db.session.scalar(select(User.email).where(User.status == "erased"))
    assert set(db.session.scalars(select(RosterEvent.email).where(RosterEvent.email != "rose@school.test"))) \
        == {placeholder}
    assert db.session.scalar(select(RosterInvitation)) is None
    t_email, t_token = teacher
    for path, fields in (("get_roster_history", slot_fields(START)), ("get_class_attendance", slot_fields(LAST_WEEK)),
                         ("get_class_attendance", slot_fields(START))):
        answer = post(client, path, t_token, teacher_email_id=t_email, **fields)
        assert answer.status_code == 200 and "zeb" not in answer.get_data(as_text=True).lower()


def test_a_short_name_is_left_in_other_peoples_notes_but_the_address_goes(client, make_user, at, teacher):
    at(NOON)
    email, token = make_user("al@school.test", name="Al")
    make_user("rose@school.test", name="Rose")
    t_email, t_token = teacher
    create_class(client, teacher, roster="al@school.test,rose@school.test")
    post(client, "set_attendance", t_token, teacher_email_id=t_email, student_email_id="rose@school.test",
         status="excused", note="Al and Alice, al@school.test", **slot_fields(START))
    assert post(client, "delete_my_account", token, email_id=email, passwd_hash=PASSWORD).status_code == 200
    assert rows_holding("al@school.test") == []
    placeholder = db.session.scalar(select(User.email).where(User.status == "erased"))
    assert db.session.scalar(select(AttendanceEvent.note).where(AttendanceEvent.note.is_not(None))) \
        == f"Al and Alice, {placeholder}"
