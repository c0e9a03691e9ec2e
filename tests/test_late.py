"""Late arrivals: a check-in more than LATE_AFTER_MINUTES after the start is present and late."""
import csv
import io
from datetime import timedelta

import openpyxl
import pytest
from sqlalchemy import select

from models import TEACHER, AttendanceEvent, AttendanceRecord, db
from tests.helpers import NOON, START, assert_error, check_in, create_class, post, slot_fields
from tests.test_kiosk import frame, kiosk

OBAMA = "obama@school.test"


def record():
    return db.session.scalar(select(AttendanceRecord))


def listing(client, teacher):
    email, token = teacher
    response = post(client, "get_class_attendance", token, teacher_email_id=email, **slot_fields(START))
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def set_attendance(client, teacher, **fields):
    email, token = teacher
    return post(client, "set_attendance", token, teacher_email_id=email, student_email_id=OBAMA,
                **slot_fields(START), **fields)


@pytest.mark.face
def test_a_selfie_within_the_limit_is_on_time(client, teacher, student, at):
    at(NOON)
    create_class(client, teacher)
    at(START + timedelta(minutes=10))  # exactly LATE_AFTER_MINUTES: not more than it
    body = check_in(client, student).get_json()
    assert body["record"]["status"] == "present"
    assert (body["record"]["late"], body["record"]["minutes_late"]) == (False, None)


@pytest.mark.face
def test_a_late_selfie_is_present_and_late_everywhere(client, teacher, student, at):
    at(NOON)
    create_class(client, teacher)
    at(START + timedelta(minutes=25, seconds=40))
    response = check_in(client, student)
    assert response.status_code == 200, response.get_json()
    marked = response.get_json()["record"]
    assert (marked["status"], marked["attendance_marked"], marked["late"], marked["minutes_late"]) == \
        ("present", 1, True, 25)
    [row] = listing(client, teacher)
    assert (row["status"], row["late"], row["minutes_late"]) == ("present", True, 25)
    email, token = student
    [mine] = post(client, "get_marked_attendance", token, student_email_id=email).get_json()
    assert mine["late"] is True
    stats = post(client, "get_student_stats", token, student_email_id=email).get_json()
    assert (stats["present"], stats["late"]) == (1, 1)
    event = db.session.scalar(select(AttendanceEvent))
    assert (event.method, event.to_status, event.late) == ("selfie", "present", True)


@pytest.mark.face
@pytest.mark.settings(LATE_AFTER_MINUTES=30)
def test_the_limit_is_a_setting(client, teacher, student, at):
    at(NOON)
    create_class(client, teacher)
    at(START + timedelta(minutes=25))
    assert check_in(client, student).get_json()["record"]["late"] is False


@pytest.mark.face
def test_a_kiosk_check_in_after_the_limit_is_late(client, make_user, at):
    at(NOON)
    teacher = make_user("teacher@school.test", TEACHER, photo="lin_manuel_miranda.png")
    make_user(OBAMA, photo="obama.jpg", name="Barack")
    create_class(client, teacher)
    at(START + timedelta(minutes=12))
    assert kiosk(client, teacher, frame("obama_2.jpg")).get_json()["status"] == "marked"
    assert (record().status, record().method, record().late, record().minutes_late) == ("present", "kiosk", True, 12)


def test_a_teacher_sets_and_clears_late_by_hand_and_it_is_audited(client, teacher, student, at):
    at(NOON)
    create_class(client, teacher)
    response = set_attendance(client, teacher, status="present", late="1", note="Came in at 9:20.")
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["record"]["late"] is True and record().late
    # a correction without the field keeps the flag of a record that stays present
    assert set_attendance(client, teacher, status="present", note="Checked.").get_json()["record"]["late"] is True
    assert set_attendance(client, teacher, status="present", late="0").get_json()["record"]["late"] is False
    set_attendance(client, teacher, status="present", late="1")
    assert set_attendance(client, teacher, status="absent").get_json()["record"]["late"] is False
    email, token = teacher
    history = post(client, "get_attendance_history", token, teacher_email_id=email, **slot_fields(START)).get_json()
    assert [(h["to_status"], h["late"]) for h in reversed(history)] == [
        ("present", True), ("present", True), ("present", False), ("present", True), ("absent", None)]


def test_late_needs_present_and_a_refusal_writes_nothing(client, teacher, student, at):
    at(NOON)
    create_class(client, teacher)
    assert_error(set_attendance(client, teacher, status="absent", late="1"), 400, "late_needs_present")
    assert record().status is None and not record().late
    assert db.session.scalar(select(AttendanceEvent)) is None


def test_tardies_are_counted_apart_in_statistics_reports_and_exports(client, teacher, student, make_user, at):
    at(NOON)
    make_user("rose@school.test", name="Rose")
    create_class(client, teacher, roster=f"{OBAMA},rose@school.test")
    set_attendance(client, teacher, status="present", late="1")
    email, token = teacher
    post(client, "set_attendance", token, teacher_email_id=email, student_email_id="rose@school.test",
         status="present", **slot_fields(START))
    at(NOON + timedelta(hours=2))  # the session has ended
    counts = post(client, "get_present_absent_classes_by_teacher", token, teacher_email_id=email).get_json()
    assert counts["Math 101|2026-03-02"] == {"total": 2, "present": 2, "absent": 0, "pending": 0, "excused": 0,
                                             "late": 1}
    report = post(client, "get_attendance_report", token, teacher_email_id=email, class_name="Math 101").get_json()
    by_email = {s["student_email_id"]: s for s in report["students"]}
    assert (by_email[OBAMA]["rate"], by_email[OBAMA]["tardy"], by_email[OBAMA]["tardy_rate"]) == (100.0, 1, 100.0)
    assert (by_email["rose@school.test"]["tardy"], by_email["rose@school.test"]["tardy_rate"]) == (0, 0.0)
    exported = post(client, "export_attendance", token, teacher_email_id=email, class_name="Math 101")
    rows = list(csv.reader(io.StringIO(exported.data.decode("utf-8-sig"))))
    assert rows[0][-3:] == ["rate %", "late", "tardy rate %"]
    assert rows[1] == [OBAMA, "Barack", "L", "1", "0", "0", "100.0", "1", "100.0"]
    assert rows[2] == ["rose@school.test", "Rose", "P", "1", "0", "0", "100.0", "0", "0.0"]


def test_records_carry_their_ed_fi_category_in_listings_reports_and_exports(client, teacher, student, make_user, at):
    at(NOON - timedelta(days=1))
    for email in ("rose@school.test", "kit@school.test", "alex@school.test"):
        make_user(email, name=email.split("@")[0].title())
    roster = f"{OBAMA},rose@school.test,kit@school.test,alex@school.test"
    yesterday = START - timedelta(days=1)
    create_class(client, teacher, roster=roster, start=yesterday)
    email, token = teacher
    for who, status, late in ((OBAMA, "present", "1"), ("rose@school.test", "present", "0"),
                              ("kit@school.test", "excused", "0")):
        post(client, "set_attendance", token, teacher_email_id=email, student_email_id=who, status=status,
             late=late, **slot_fields(yesterday))
    at(NOON)
    create_class(client, teacher, roster=OBAMA)  # running now, unmarked: no category yet
    expected = {OBAMA: "Tardy", "rose@school.test": "In Attendance", "kit@school.test": "Excused Absence",
                "alex@school.test": "Unexcused Absence"}  # alex: never marked, the session ended
    rows = post(client, "get_class_attendance", token, teacher_email_id=email, **slot_fields(yesterday)).get_json()
    assert {r["student_email_id"]: r["category"] for r in rows} == expected
    [now_row] = listing(client, teacher)
    assert (now_row["status"], now_row["category"]) == ("pending", None)
    report = post(client, "get_attendance_report", token, teacher_email_id=email, class_name="Math 101").get_json()
    obama = next(s for s in report["students"] if s["student_email_id"] == OBAMA)
    assert obama["categories"] == {"In Attendance": 0, "Tardy": 1, "Excused Absence": 0, "Unexcused Absence": 0}
    exported = post(client, "export_attendance", token, teacher_email_id=email, class_name="Math 101",
                    layout="records")
    assert 'filename="attendance_Math_101_records_2026-03-01_2026-03-02.csv"' in \
        exported.headers["Content-Disposition"]
    lines = list(csv.reader(io.StringIO(exported.data.decode("utf-8-sig"))))
    assert lines[0] == ["email", "name", "class_name", "class_date", "start_time", "end_time", "status", "late",
                        "minutes_late", "method", "category"]
    assert [(line[0], line[3], line[6], line[7], line[-1]) for line in lines[1:]] == [
        ("alex@school.test", "2026-03-01", "absent", "no", "Unexcused Absence"),
        ("kit@school.test", "2026-03-01", "excused", "no", "Excused Absence"),
        (OBAMA, "2026-03-01", "present", "yes", "Tardy"),
        ("rose@school.test", "2026-03-01", "present", "no", "In Attendance"),
        (OBAMA, "2026-03-02", "pending", "no", "")]
    student_email, student_token = student
    mine = post(client, "export_attendance", student_token, student_email_id=student_email, layout="records",
                format="xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(mine.data)).active
    assert [row[-1] for row in sheet.iter_rows(min_row=2, values_only=True)] == ["Tardy", None]
    assert_error(post(client, "export_attendance", token, teacher_email_id=email, class_name="Math 101",
                      layout="cells"), 400, "bad_field")
