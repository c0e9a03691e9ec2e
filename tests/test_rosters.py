"""update_roster: a teacher adds and removes students in one session or in every upcoming one;
unknown emails wait as invitations; marked records are kept unless force=1; every change is
in the roster trail (get_roster_history)."""
import io
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from models import TEACHER, AttendanceEvent, AttendanceRecord, RosterEvent, db
from services import faces
from tests.helpers import (NOON, PASSWORD, START, assert_error, create_class, fixture_bytes, post, slot_fields,
                           stand_in_encoding)

OBAMA, ROSE, KIT = "obama@school.test", "rose@school.test", "kit@school.test"
YESTERDAY, TOMORROW, NEXT_WEEK = START - timedelta(days=1), START + timedelta(days=1), START + timedelta(days=7)


@pytest.fixture
def timetable(client, teacher, student, make_user, at):
    """Math 101 yesterday, today (running), tomorrow and next week, each with Obama; History
    tomorrow; another teacher's Math 101 tomorrow."""
    at(NOON)
    make_user(ROSE, photo="rose_leslie.jpg")
    for start in (YESTERDAY, START, TOMORROW, NEXT_WEEK):
        assert create_class(client, teacher, roster=OBAMA, start=start).status_code == 200
    assert create_class(client, teacher, roster=OBAMA, start=TOMORROW, class_name="History").status_code == 200
    other = make_user("t2@school.test", TEACHER, photo="biden.jpg")
    assert create_class(client, other, roster=OBAMA, start=TOMORROW).status_code == 200
    return teacher


def update(client, teacher, start=START, **fields):
    email, token = teacher
    return post(client, "update_roster", token, **{"email_id": email, **slot_fields(start), **fields})


def roster(client, teacher, start, name="Math 101"):
    email, token = teacher
    response = post(client, "get_class_attendance", token, teacher_email_id=email, **slot_fields(start, name=name))
    assert response.status_code == 200, response.get_json()
    return {r["student_email_id"]: r["status"] for r in response.get_json()}


def everything(client, teacher):
    """Every roster of the timetable: {(class, start): {email: status}}."""
    email, token = teacher
    state = {}
    for r in post(client, "get_classes_by_teacher", token, teacher_email_id=email).get_json():
        state.setdefault((r["class_name"], r["class_date"], r["start_time"]), {})[r["student_email_id"]] = r["status"]
    return state


def events():
    rows = db.session.scalars(select(RosterEvent).order_by(RosterEvent.id))
    return [(e.action, e.email, e.from_status) for e in rows]


def test_scope_session_changes_only_the_named_session(client, timetable):
    before = everything(client, timetable)
    response = update(client, timetable, add_student_email_ids=f"{ROSE}, {KIT}")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["unknown_student_email_ids"] == [KIT] and body["invited_student_email_ids"] == [KIT]
    assert "join when they enroll" in body["SUCCESS"]
    assert [(s["class_date"], s["added"], s["invited"]) for s in body["sessions"]] == [("2026-03-02", [ROSE], [KIT])]
    assert {r["student_email_id"]: r["status"] for r in body["records"]} == {
        OBAMA: "pending", ROSE: "pending", KIT: "not_enrolled"}
    after = everything(client, timetable)
    today = ("Math 101", "2026-03-02", "11:55")
    assert after[today] == {OBAMA: "pending", ROSE: "pending", KIT: "not_enrolled"}
    assert {k: v for k, v in after.items() if k != today} == {k: v for k, v in before.items() if k != today}
    assert events() == [("added", ROSE, None), ("invited", KIT, None)]
    again = update(client, timetable, add_student_email_ids=f"{ROSE}, {KIT}")  # nothing new to do
    assert again.get_json()["sessions"][0]["added"] == [] and len(events()) == 2


def test_scope_upcoming_changes_this_and_every_later_session_of_the_class(client, timetable):
    response = update(client, timetable, add_student_email_ids=f"{ROSE},{KIT}", remove_student_email_ids=OBAMA,
                      scope="upcoming")
    assert response.status_code == 200, response.get_json()
    assert [s["class_date"] for s in response.get_json()["sessions"]] == ["2026-03-02", "2026-03-03", "2026-03-09"]
    for start in (START, TOMORROW, NEXT_WEEK):
        assert roster(client, timetable, start) == {ROSE: "pending", KIT: "not_enrolled"}
    assert roster(client, timetable, YESTERDAY) == {OBAMA: "absent"}          # earlier: untouched
    assert roster(client, timetable, TOMORROW, name="History") == {OBAMA: "pending"}  # another class
    other = ("t2@school.test", _token_of(client, "t2@school.test"))
    assert roster(client, other, TOMORROW) == {OBAMA: "pending"}                 # another teacher's
    assert sorted(events()) == sorted([("added", ROSE, None), ("invited", KIT, None), ("removed", OBAMA, None)] * 3)


def _token_of(client, email):
    response = post(client, "login_teacher", email_id=email, passwd_hash=PASSWORD)
    return response.get_json()["token"]


def test_removing_a_marked_student_needs_force(client, timetable):
    email, token = timetable
    marked = post(client, "set_attendance", token, teacher_email_id=email, student_email_id=OBAMA,
                  status="present", **slot_fields(TOMORROW))
    assert marked.status_code == 200
    before = everything(client, timetable)
    refused = update(client, timetable, remove_student_email_ids=OBAMA, scope="upcoming")
    assert_error(refused, 409, "record_marked")
    assert "force=1" in refused.get_json()["ERROR"] and "2026-03-03" in refused.get_json()["ERROR"]
    assert everything(client, timetable) == before and events() == []  # today's removal was rolled back too
    forced = update(client, timetable, remove_student_email_ids=OBAMA, scope="upcoming", force="1")
    assert forced.status_code == 200, forced.get_json()
    assert [s["removed"] for s in forced.get_json()["sessions"]] == [[OBAMA]] * 3
    assert roster(client, timetable, TOMORROW) == {}
    assert events() == [("removed", OBAMA, None), ("removed", OBAMA, "present"), ("removed", OBAMA, None)]
    note = db.session.scalar(select(RosterEvent.note).where(RosterEvent.from_status == "present"))
    assert note.startswith("removed with force=1; was present by manual at 2026-03-02 12:00")
    assert db.session.scalar(select(func.count()).select_from(AttendanceEvent)) == 0  # went with the record


def test_removing_an_invited_email_and_one_not_on_the_roster(client, timetable):
    update(client, timetable, add_student_email_ids=KIT)
    response = update(client, timetable, remove_student_email_ids=f"{KIT}, {ROSE}")
    body = response.get_json()
    assert response.status_code == 200 and body["sessions"][0]["uninvited"] == [KIT]
    assert body["not_on_roster"] == [ROSE] and "Not on the roster: rose@school.test" in body["SUCCESS"]
    assert roster(client, timetable, START) == {OBAMA: "pending"}
    assert events() == [("invited", KIT, None), ("uninvited", KIT, "not_enrolled")]


def test_an_email_added_by_update_roster_joins_on_registration(client, timetable, monkeypatch):
    update(client, timetable, add_student_email_ids=KIT, scope="upcoming")
    monkeypatch.setattr(faces, "enrollment_encoding", lambda data, max_pixels: stand_in_encoding("kit"))
    registered = post(client, "register_student", email_id=KIT, name="Kit", passwd_hash=PASSWORD,
                      image_file=(io.BytesIO(fixture_bytes("kit_harington.jpg")), "kit.jpg"))
    assert registered.status_code == 200
    for start in (START, TOMORROW, NEXT_WEEK):
        assert roster(client, timetable, start)[KIT] == "pending"


def test_roster_history_lists_the_changes(client, timetable):
    update(client, timetable, add_student_email_ids=ROSE)
    update(client, timetable, remove_student_email_ids=ROSE)
    email, token = timetable
    response = post(client, "get_roster_history", token, teacher_email_id=email, **slot_fields(START))
    assert response.status_code == 200
    assert [(e["action"], e["student_email_id"], e["by"]) for e in response.get_json()] == [
        ("removed", ROSE, email), ("added", ROSE, email)]
    by_student = post(client, "get_roster_history", token, teacher_email_id=email, student_email_id=ROSE)
    assert len(by_student.get_json()) == 2
    assert_error(post(client, "get_roster_history", token, teacher_email_id=email), 400, "missing_field")


@pytest.mark.parametrize("fields, status, code", [
    ({}, 400, "missing_field"),
    ({"add_student_email_ids": ROSE, "remove_student_email_ids": ROSE}, 400, "bad_field"),
    ({"add_student_email_ids": "not an email"}, 400, "bad_field"),
    ({"add_student_email_ids": ROSE, "scope": "forever"}, 400, "bad_field"),
    ({"add_student_email_ids": ROSE, "class_date": "2026-04-01"}, 404, "no_such_class"),
])
def test_bad_roster_updates_change_nothing(client, timetable, fields, status, code):
    before = everything(client, timetable)
    assert_error(update(client, timetable, **fields), status, code)
    assert everything(client, timetable) == before and events() == []


def test_only_the_sessions_teacher_may_update_its_roster(client, timetable, student):
    assert_error(update(client, student, add_student_email_ids=ROSE), 403, "wrong_role")
    other = ("t2@school.test", _token_of(client, "t2@school.test"))
    assert_error(update(client, other, start=START, add_student_email_ids=ROSE), 403, "not_yours")
    assert db.session.scalar(select(func.count()).select_from(AttendanceRecord)) == 6
