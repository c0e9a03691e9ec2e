"""Exports never fail on a name: names with control characters are refused at input, rows
stored before that are cleaned in the files, and no CSV cell can start a formula whatever
separator a spreadsheet splits it with; both files read back."""
import csv
import io
import re

import openpyxl
import pytest
from sqlalchemy import select, update

from models import TEACHER, ClassSession, User, db
from services.names import without_control_characters
from tests.helpers import assert_error, create_class, make_session, make_user, post, NOON, START

HOSTILE = [
    "=1+1", "+1+1", "-1+1", "@SUM(A1)", "\t=1+1", "\r=1+1", "x;=1+1;", "a\n=1+1", "a\r\n+cmd|' /C calc'!A0",
    "a,=1+1", "a, =1+1", "a;\t=1+1", "a; \u00a0=1+1", 'x";=1+1', '"=1+1', "=HYPERLINK(\"http://evil.test\")",
    "Eve\x01", "Eve\x1b[31m", "\x7f", "next\x85=1", "a\u2028=1+1", "a\u2029@x", "a\x0b=1", "a\x0c-1",
    "\x08\x08", "'quoted", "\u202eevil", "\ufeffbom", "zero\u200bwidth", "\U0001f4a5", "-", "x" * 200,
]
FORMULA = ("=", "+", "-", "@")


def _hostile_school(app):
    """A teacher's two classes and a student per hostile name, stored as older rows may hold them."""
    make_user("teacher@school.test", TEACHER, name="Ms Teacher")
    emails = [f"s{index}@school.test" for index in range(len(HOSTILE))]
    for email in emails:
        make_user(email)
    make_session("teacher@school.test", emails, starts=START, name="Math 101")
    make_session("teacher@school.test", emails, starts=NOON, name="Art\x01;=1+1")
    for email, name in zip(emails, HOSTILE):
        db.session.execute(update(User).where(User.email == email).values(name=name))
    db.session.commit()
    return dict(zip(emails, HOSTILE))


def _export(client, who, field, **fields):
    email, token = who
    response = post(client, "export_attendance", token, **{field: email}, **fields)
    assert response.status_code == 200, response.get_json()
    return response.data


def _cells_as_any_spreadsheet_splits_them(text):
    """Every cell of the text split on a line break (even inside quotes) and on each separator,
    surrounding quotes and spaces removed."""
    for line in re.split(r"[\r\n\u2028\u2029\x85\x0b\x0c]", text):
        for separator in (",", ";", "\t"):
            for cell in line.split(separator):
                yield cell.strip().lstrip('"').strip()
    for separator in (",", ";", "\t"):
        for row in csv.reader(io.StringIO(text), delimiter=separator):
            yield from (cell.strip() for cell in row)


def _assert_inert(data):
    text = data.decode("utf-8-sig")
    formulas = [cell for cell in _cells_as_any_spreadsheet_splits_them(text)
                if cell.startswith(FORMULA) and cell != "-"]  # '-' alone is a mark, not a formula
    assert formulas == []


@pytest.mark.parametrize("field, who", [("teacher_email_id", "teacher"), ("student_email_id", "student")])
def test_every_hostile_name_exports_to_csv_and_xlsx_and_reads_back(app, client, at, field, who):
    at(NOON)
    names = _hostile_school(app)
    token_of = {"teacher": ("teacher@school.test", _token("teacher@school.test")),
                "student": ("s7@school.test", _token("s7@school.test"))}
    caller = token_of[who]
    extra = {"class_name": "Math 101"} if who == "teacher" else {}
    expected = names if who == "teacher" else {"s7@school.test": names["s7@school.test"]}

    data = _export(client, caller, field, format="csv", **extra)
    _assert_inert(data)
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert len(rows) == len(expected) + 1
    for email, name, *_ in rows[1:]:
        assert name.replace("'", "") == without_control_characters(expected[email]).replace("'", "")

    book = openpyxl.load_workbook(io.BytesIO(_export(client, caller, field, format="xlsx", **extra)))
    sheet = book.active
    read = {row[0].value: row[1] for row in sheet.iter_rows(min_row=2)}
    assert set(read) == set(expected)
    for email, cell in read.items():
        assert cell.value in (without_control_characters(expected[email]), None)
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


def _token(email):
    from services import auth
    user = db.session.scalar(select(User).where(User.email == email))
    token, _ = auth.issue_token(user, 3600)
    db.session.commit()
    return token


def test_a_student_with_several_classes_gets_the_class_names_cleaned_in_the_header(app, client, at):
    at(NOON)
    _hostile_school(app)
    caller = ("s0@school.test", _token("s0@school.test"))
    data = _export(client, caller, "student_email_id", format="csv")
    _assert_inert(data)
    header = next(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert any(label.startswith("Art ;'=1+1") for label in header), header
    sheet = openpyxl.load_workbook(io.BytesIO(_export(client, caller, "student_email_id", format="xlsx"))).active
    assert any(str(cell.value).startswith("Art ;=1+1") for cell in sheet[1])


@pytest.mark.parametrize("name", ["Eve\x01", "a\n=1+1", "Tab\tbed", "del\x7f", "c1\x85c1", "line\u2028sep"])
def test_names_with_control_characters_are_refused_at_input(client, teacher, it, name):
    response = post(client, "register_student", email_id="eve@school.test", name=name, passwd_hash="x" * 32)
    assert_error(response, 400, "bad_field")
    email, token = it
    response = post(client, "admin_create_teacher", token, email_id=email, user_email_id="t2@school.test",
                    name=name, passwd_hash="x" * 32)
    assert_error(response, 400, "bad_field")
    assert_error(create_class(client, teacher, class_name=name), 400, "bad_field")
    assert db.session.scalar(select(User).where(User.email.in_(["eve@school.test", "t2@school.test"]))) is None
    assert db.session.scalar(select(ClassSession)) is None
