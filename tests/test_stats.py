"""Listings and statistics over a small timetable, with the clock frozen at NOON."""
import json
from datetime import datetime

import pytest
from sqlalchemy import select, update

from models import TEACHER, AttendanceRecord, ClassSession, User, db
from tests.helpers import NOON, assert_error, post

OBAMA, BEE = "obama@school.test", "b@school.test"
TIMETABLE = [  # class, start, minutes, roster
    ("Math 101", datetime(2026, 3, 1, 9, 0), f"{OBAMA},{BEE}"),   # ended; obama present, b absent
    ("History", datetime(2026, 3, 1, 11, 0), OBAMA),              # ended; obama absent
    ("Math 101", datetime(2026, 3, 2, 11, 55), OBAMA),            # open now: pending
    ("Math 101", datetime(2026, 3, 3, 9, 0), OBAMA),              # tomorrow: pending
]


@pytest.fixture
def timetable(client, teacher, student, make_user, at):
    at(NOON)
    make_user(BEE)
    email, token = teacher
    for name, start, roster in TIMETABLE:
        response = post(client, "create_class", token, teacher_email_id=email, class_name=name,
                        class_date=start.strftime("%Y-%m-%d"), start_time=start.strftime("%H:%M"),
                        end_time=start.replace(hour=start.hour + 1).strftime("%H:%M"), student_email_ids=roster)
        assert response.status_code == 200
    first_session = db.session.scalar(select(ClassSession.id).where(ClassSession.starts_at == TIMETABLE[0][1]))
    obama_id = db.session.scalar(select(User.id).where(User.email == OBAMA))
    db.session.execute(update(AttendanceRecord)
                       .where(AttendanceRecord.session_id == first_session, AttendanceRecord.student_id == obama_id)
                       .values(status="present", method="selfie", marked_time=datetime(2026, 3, 1, 9, 3)))
    db.session.commit()
    return teacher, student


def ask(client, path, who, **fields):
    email, token = who
    field = "teacher_email_id" if path in TEACHER_PATHS else "email_id"
    response = post(client, path, token, **{field: email}, **fields)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


TEACHER_PATHS = {"get_classes_by_teacher", "get_latest_class_by_teacher", "get_present_absent_classes_by_teacher",
                 "get_student_class_record", "get_attendance_time_records"}


def dates_and_names(records):
    return [(r["class_date"], r["start_time"], r["class_name"], r["student_email_id"]) for r in records]


def test_student_lists(client, timetable):
    _, student = timetable
    marked = ask(client, "get_marked_attendance", student, name="Barack")
    assert dates_and_names(marked) == [("2026-03-01", "09:00", "Math 101", OBAMA)]
    assert marked[0]["attendance_marked"] == 1 and marked[0]["marked_time"].startswith("2026-03-01T09:03")
    missed = ask(client, "get_missed_attendance", student, name="Barack")
    assert dates_and_names(missed) == [("2026-03-01", "11:00", "History", OBAMA)]
    assert missed[0]["status"] == "absent"
    pending = ask(client, "get_pending_attendance", student, name="Barack")
    assert dates_and_names(pending) == [("2026-03-02", "11:55", "Math 101", OBAMA)]


def test_student_counts_treat_open_and_future_sessions_as_pending(client, timetable):
    _, student = timetable
    # total is what counts toward attendance (present + absent): the client's cards add up
    assert ask(client, "get_student_stats", student) == {
        "total": 2, "present": 1, "absent": 1, "pending": 2, "excused": 0, "late": 0}
    latest = ask(client, "get_student_attendance_time_records", student)
    assert [(r["class_date"], r["class_name"], r["marked"]) for r in latest] == [
        ("2026-03-03", "Math 101", 0), ("2026-03-02", "Math 101", 0),
        ("2026-03-01", "History", 0), ("2026-03-01", "Math 101", 1)]
    assert ask(client, "get_student_class_attd_stat", student) == latest


def test_the_students_cards_add_up_with_an_excused_class(client, timetable):
    (email, token), student = timetable
    excused = post(client, "set_attendance", token, teacher_email_id=email, student_email_id=OBAMA,
                   status="excused", class_name="History", class_date="2026-03-01", start_time="11:00",
                   end_time="12:00")
    assert excused.status_code == 200
    stats = ask(client, "get_student_stats", student)
    assert stats == {"total": 1, "present": 1, "absent": 0, "pending": 2, "excused": 1, "late": 0}
    assert stats["present"] + stats["absent"] == stats["total"]  # "Total Present" + "Total Missed" cards


def test_student_stats_accept_the_documented_email_field(client, timetable):
    _, (email, token) = timetable
    response = post(client, "get_student_stats", token, student_email_id=email)
    assert response.status_code == 200 and response.get_json()["total"] == 2


def test_teacher_counts_per_session_and_per_student(client, timetable):
    teacher, _ = timetable
    assert ask(client, "get_present_absent_classes_by_teacher", teacher) == {
        "Math 101|2026-03-03": {"total": 1, "present": 0, "absent": 0, "pending": 1, "excused": 0, "late": 0},
        "Math 101|2026-03-02": {"total": 1, "present": 0, "absent": 0, "pending": 1, "excused": 0, "late": 0},
        "History|2026-03-01": {"total": 1, "present": 0, "absent": 1, "pending": 0, "excused": 0, "late": 0},
        "Math 101|2026-03-01": {"total": 2, "present": 1, "absent": 1, "pending": 0, "excused": 0, "late": 0},
    }
    assert ask(client, "get_student_class_record", teacher) == {
        f"{BEE}|Math 101": {"total": 1, "present": 0, "absent": 1, "pending": 0, "excused": 0, "late": 0},
        f"{OBAMA}|History": {"total": 1, "present": 0, "absent": 1, "pending": 0, "excused": 0, "late": 0},
        f"{OBAMA}|Math 101": {"total": 3, "present": 1, "absent": 0, "pending": 2, "excused": 0, "late": 0},
    }


def test_teacher_listings(client, timetable):
    teacher, _ = timetable
    every = ask(client, "get_classes_by_teacher", teacher)
    assert dates_and_names(every) == [
        ("2026-03-03", "09:00", "Math 101", OBAMA), ("2026-03-02", "11:55", "Math 101", OBAMA),
        ("2026-03-01", "11:00", "History", OBAMA),
        ("2026-03-01", "09:00", "Math 101", BEE), ("2026-03-01", "09:00", "Math 101", OBAMA)]
    assert ask(client, "get_classes_by_teacher", teacher, limit="2", offset="1") == every[1:3]
    assert ask(client, "get_latest_class_by_teacher", teacher) == every[1:2]  # the running one, not tomorrow's
    times = ask(client, "get_attendance_time_records", teacher)
    assert [t["email_id"] for t in times] == [OBAMA] and times[0]["time"].startswith("2026-03-01T09:03")


@pytest.mark.parametrize("now, expected", [
    (NOON, [("2026-03-02", "11:55", "Math 101", OBAMA)]),                  # running; tomorrow's is future
    (datetime(2026, 3, 2, 13, 30), [("2026-03-02", "11:55", "Math 101", OBAMA)]),  # ended, still the latest
    (datetime(2026, 3, 3, 8, 55), [("2026-03-02", "11:55", "Math 101", OBAMA)]),   # next opens soon, not started
    (datetime(2026, 3, 3, 9, 0), [("2026-03-03", "09:00", "Math 101", OBAMA)]),    # it has started
    (datetime(2026, 2, 28, 12, 0), []),                                            # nothing has started yet
])
def test_latest_class_is_the_most_recent_session_that_has_started(client, timetable, at, now, expected):
    teacher, _ = timetable
    at(now)
    assert dates_and_names(ask(client, "get_latest_class_by_teacher", teacher)) == expected


def test_bad_pagination_is_400(client, timetable):
    (email, token), _ = timetable
    response = post(client, "get_classes_by_teacher", token, teacher_email_id=email, limit="-1")
    assert_error(response, 400, "bad_field")


def test_reads_are_scoped_to_their_owner(client, timetable, make_user):
    teacher, student = timetable
    other_teacher = make_user("t2@school.test", TEACHER)
    assert ask(client, "get_classes_by_teacher", other_teacher) == []
    assert ask(client, "get_present_absent_classes_by_teacher", other_teacher) == {}
    other_student = make_user("c@school.test")
    assert ask(client, "get_student_stats", other_student)["total"] == 0
    assert_error(post(client, "get_student_stats", other_student[1], email_id=OBAMA), 403, "not_yours")
    assert_error(post(client, "get_classes_by_teacher", other_teacher[1], teacher_email_id=teacher[0]),
                 403, "not_yours")
    assert_error(post(client, "get_classes_by_teacher", student[1], teacher_email_id=student[0]),
                 403, "wrong_role")


def test_counts_per_session_and_per_student_page_in_their_usual_order(client, timetable):
    teacher, _ = timetable
    for path in ("get_present_absent_classes_by_teacher", "get_student_class_record"):
        every = list(ask(client, path, teacher).items())
        assert len(every) >= 3
        page = ask(client, path, teacher, limit="2", offset="1")
        assert list(page.items()) == every[1:3]  # same keys, same order, same counts
        assert ask(client, path, teacher, offset=str(len(every))) == {}


def test_a_session_with_only_invited_emails_counts_nobody(client, timetable):
    (email, token), _ = timetable
    response = post(client, "create_class", token, teacher_email_id=email, class_name="Empty",
                    class_date="2026-03-01", start_time="08:00", end_time="08:30",
                    student_email_ids="nobody@school.test")
    [invited] = response.get_json()["records"]
    assert invited["student_email_id"] == "nobody@school.test" and invited["status"] == "not_enrolled"
    assert invited["student_name"] is None  # nobody has told Rollcall their name yet
    counts = ask(client, "get_present_absent_classes_by_teacher", (email, token))
    assert counts["Empty|2026-03-01"] == {"total": 0, "present": 0, "absent": 0, "pending": 0, "excused": 0, "late": 0}


def test_a_listing_carries_names_in_any_script_in_the_record_s_field_order(client, make_user, student, at):
    at(NOON)
    email, token = make_user("zoe@school.test", TEACHER, photo="biden.jpg", name="Zoë Ñúñez 王")
    assert post(client, "create_class", token, teacher_email_id=email, class_name="Français", class_date="2026-03-02",
                start_time="11:00", end_time="12:30", student_email_ids=OBAMA).status_code == 200
    response = post(client, "get_classes_by_teacher", token, teacher_email_id=email)
    record, = json.loads(response.data.decode("utf-8"))
    assert (record["teacher_name"], record["class_name"], record["student_name"]) == ("Zoë Ñúñez 王", "Français",
                                                                                      "Barack")
    assert list(record) == ["id", "class_name", "student_email_id", "teacher_email_id", "teacher_name",
                            "attendance_marked", "class_date", "start_time", "end_time", "marked_time",
                            "create_datetime", "status", "method", "distance", "late", "minutes_late", "category",
                            "student_name"]


@pytest.mark.settings(TIMEZONE="Asia/Kolkata")
def test_listings_give_instants_on_the_school_s_clock_to_the_second(client, timetable):
    teacher, student = timetable
    # a check-in's instant carries microseconds; the listings give whole seconds, as everywhere
    db.session.execute(update(AttendanceRecord).where(AttendanceRecord.marked_time.is_not(None))
                       .values(marked_time=datetime(2026, 3, 1, 9, 3, 7, 654321)))
    db.session.commit()
    marked, = [r for r in ask(client, "get_classes_by_teacher", teacher) if r["marked_time"]]
    assert marked["marked_time"] == "2026-03-01T14:33:07+05:30"  # 09:03:07 UTC in India
    assert marked["create_datetime"] == "2026-03-02T17:30:00+05:30"  # made at NOON UTC
    assert marked["class_date"] == "2026-03-01" and marked["start_time"] == "09:00"  # wall clock, unchanged
    assert ask(client, "get_marked_attendance", student, name="Barack") == [marked]
    times = ask(client, "get_attendance_time_records", teacher)
    assert times == [{"email_id": OBAMA, "time": marked["marked_time"]}]
