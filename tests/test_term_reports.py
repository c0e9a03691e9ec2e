"""Exports (CSV, xlsx read back) and the attendance report over a small term."""
import csv
import io
from datetime import datetime

import openpyxl
import pytest
from sqlalchemy import delete, select, update

from models import AttendanceRecord, ClassSession, User, db
from tests.helpers import assert_error, create_class, post
from tests.test_terms import schedule

OBAMA, BEE, CEE = "obama@school.test", "b@school.test", "c@school.test"
DAYS = ["2026-03-02 09:00", "2026-03-04 09:00", "2026-03-09 09:00", "2026-03-11 09:00"]
# what each student's records hold; None is unmarked (absent once ended, '-' before), "off" not on the roster
STATUSES = {OBAMA: ["present", "present", "present", None],
            BEE: ["present", None, "excused", None],
            CEE: ["absent", "off", None, None]}


def set_records(statuses):
    sessions = db.session.scalars(select(ClassSession.id).where(ClassSession.class_name == "Math 101")
                                  .order_by(ClassSession.starts_at)).all()
    for email, marks in statuses.items():
        student_id = db.session.scalar(select(User.id).where(User.email == email))
        for session_id, status in zip(sessions, marks):
            where = (AttendanceRecord.session_id == session_id, AttendanceRecord.student_id == student_id)
            if status == "off":
                db.session.execute(delete(AttendanceRecord).where(*where))
            elif status is not None:
                db.session.execute(update(AttendanceRecord).where(*where).values(status=status, method="manual"))
    db.session.commit()


@pytest.fixture
def term(client, teacher, student, make_user, at):
    at(datetime(2026, 3, 10, 12))  # the 2nd, 4th and 9th have ended, the 11th is to come
    make_user(BEE, name="Bee")
    make_user(CEE, name="=HYPERLINK(\"http://evil.test\")")
    response = schedule(client, teacher, student_email_ids=f"{OBAMA},{BEE},{CEE}")
    assert response.status_code == 200
    set_records(STATUSES)
    return teacher


def export(client, who, field="teacher_email_id", **fields):
    email, token = who
    return post(client, "export_attendance", token, **{field: email}, **fields)


def read_csv(response):
    assert response.status_code == 200, response.get_json()
    assert response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))


EXPECTED = [
    ["email", "name", *DAYS, "present", "absent", "excused", "rate %", "late", "tardy rate %"],
    [BEE, "Bee", "P", "A", "E", "-", "1", "1", "1", "50.0", "0", "0.0"],
    [CEE, "'=HYPERLINK(\"http://evil.test\")", "A", "-", "A", "-", "0", "2", "0", "0.0", "0", "0.0"],
    [OBAMA, "Barack", "P", "P", "P", "-", "3", "0", "0", "100.0", "0", "0.0"],
]


def test_csv_export_has_a_row_per_student_a_column_per_session_and_totals(client, term):
    response = export(client, term, class_name="Math 101", format="csv")
    assert read_csv(response) == EXPECTED
    assert response.headers["Content-Disposition"].startswith(
        'attachment; filename="attendance_Math_101_2026-03-02_2026-03-11.csv"')


def test_csv_is_the_default_and_a_date_range_picks_the_columns(client, term):
    rows = read_csv(export(client, term, class_name="Math 101", from_date="2026-03-04", to_date="2026-03-09"))
    assert rows[0] == ["email", "name", DAYS[1], DAYS[2], "present", "absent", "excused", "rate %", "late",
                       "tardy rate %"]
    assert rows[1] == [BEE, "Bee", "A", "E", "0", "1", "1", "0.0", "0", "0.0"]
    assert rows[3] == [OBAMA, "Barack", "P", "P", "2", "0", "0", "100.0", "0", "0.0"]


def test_xlsx_export_reads_back_with_frozen_header_and_percentage_rates(client, term):
    response = export(client, term, class_name="Math 101", format="xlsx")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert 'filename="attendance_Math_101_2026-03-02_2026-03-11.xlsx"' in response.headers["Content-Disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert values[0] == EXPECTED[0]
    assert values[1] == [BEE, "Bee", "P", "A", "E", "-", 1, 1, 1, 0.5, 0, 0]
    assert values[2][1] == "=HYPERLINK(\"http://evil.test\")" and sheet["B3"].data_type == "s"
    assert values[3] == [OBAMA, "Barack", "P", "P", "P", "-", 3, 0, 0, 1, 0, 0]
    assert sheet.freeze_panes == "C2"
    assert sheet["J2"].number_format == "0.0%" and sheet["A1"].font.bold


def test_a_student_exports_only_their_own_records(client, term, student):
    rows = read_csv(export(client, student, field="student_email_id", class_name="Math 101"))
    assert rows[1:] == [EXPECTED[3]]
    email, token = student
    book = openpyxl.load_workbook(io.BytesIO(post(client, "export_attendance", token, email_id=email,
                                                  format="xlsx").data))
    assert [c.value for c in book.active[2]] == [OBAMA, "Barack", "P", "P", "P", "-", 3, 0, 0, 1, 0, 0]


def test_export_errors(client, term, student):
    assert_error(export(client, term, class_name="Art"), 404, "no_such_class")
    assert_error(export(client, term, class_name="Math 101", format="pdf"), 400, "bad_field")
    assert_error(export(client, term, class_name="Math 101", from_date="2026-03-09", to_date="2026-03-01"),
                 400, "bad_date_range")
    assert_error(export(client, term), 400, "missing_field")
    _, token = student
    assert_error(post(client, "export_attendance", token, student_email_id=BEE), 403, "not_yours")
    assert_error(post(client, "export_attendance", "no-such-token", student_email_id=BEE), 401, "token_invalid")


def report(client, teacher, **fields):
    email, token = teacher
    response = post(client, "get_attendance_report", token, teacher_email_id=email, **fields)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def rows(body):
    return [(s["student_email_id"], s["class_name"], s["held"], s["present"], s["absent"], s["excused"], s["rate"],
             s["below_threshold"]) for s in body["students"]]


def test_class_report_flags_students_below_the_threshold_first(client, term):
    body = report(client, term, class_name="Math 101")
    assert body["threshold"] == 75
    assert rows(body) == [(CEE, "Math 101", 2, 0, 2, 0, 0.0, True),
                          (BEE, "Math 101", 3, 1, 1, 1, 50.0, True),
                          (OBAMA, "Math 101", 3, 3, 0, 0, 100.0, False)]
    ranged = report(client, term, class_name="Math 101", from_date="2026-03-09")
    assert rows(ranged) == [(CEE, "Math 101", 1, 0, 1, 0, 0.0, True),
                            (BEE, "Math 101", 1, 0, 0, 1, None, False),
                            (OBAMA, "Math 101", 1, 1, 0, 0, 100.0, False)]


def test_the_threshold_is_a_setting(app, client, term):
    app.config["LOW_ATTENDANCE_THRESHOLD"] = 40.0
    body = report(client, term, class_name="Math 101")
    assert body["threshold"] == 40 and [r[0] for r in rows(body) if r[-1]] == [CEE]


def test_report_across_classes_lists_only_students_below_the_threshold(client, term):
    create_class(client, term, roster=OBAMA, class_name="History", class_date="2026-03-03", start_time="10:00",
                 end_time="11:00")  # ended, unmarked: absent
    body = report(client, term)
    assert body["class_name"] is None
    assert rows(body) == [(CEE, "Math 101", 2, 0, 2, 0, 0.0, True),
                          (OBAMA, "History", 1, 0, 1, 0, 0.0, True),
                          (BEE, "Math 101", 3, 1, 1, 1, 50.0, True)]


def test_only_teachers_get_reports(client, term, student):
    email, token = student
    assert_error(post(client, "get_attendance_report", token, teacher_email_id=email), 403, "wrong_role")


def test_school_wide_below_threshold_command(app, client, term):
    create_class(client, term, roster=OBAMA, class_name="History", class_date="2026-03-03", start_time="10:00",
                 end_time="11:00")
    output = app.test_cli_runner().invoke(args=["reports", "below-threshold"]).output
    assert list(csv.reader(io.StringIO(output))) == [
        ["email", "name", "class_name", "teacher_email", "held", "present", "absent", "excused", "rate %", "late",
         "tardy rate %"],
        [CEE, "'=HYPERLINK(\"http://evil.test\")", "Math 101", "teacher@school.test", "2", "0", "2", "0", "0.0", "0", "0.0"],
        [OBAMA, "Barack", "History", "teacher@school.test", "1", "0", "1", "0", "0.0", "0", "0.0"],
        [BEE, "Bee", "Math 101", "teacher@school.test", "3", "1", "1", "1", "50.0", "0", "0.0"]]
    since = app.test_cli_runner().invoke(args=["reports", "below-threshold", "--from-date", "2026-03-04"]).output
    assert [row[0] for row in csv.reader(io.StringIO(since))][1:] == [BEE, CEE]  # both 0.0 since the 4th
