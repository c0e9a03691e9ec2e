"""A term at once: create_schedule, roster CSV files (HTTP and the `rosters import` command)."""
import io
from datetime import datetime

import pytest
from sqlalchemy import func, select

from models import AttendanceRecord, ClassSession, User, db
from tests.helpers import assert_error, concurrently, create_class, post

TERM = {"class_name": "Math 101", "weekdays": "mon,wed", "start_time": "09:00", "end_time": "09:50",
        "from_date": "2026-03-02", "to_date": "2026-03-15"}  # Mon 2 .. Sun 15: 4 Mondays and Wednesdays


def schedule(client, teacher, **fields):
    email, token = teacher
    return post(client, "create_schedule", token, teacher_email_id=email, **{**TERM, **fields})


def session_starts():
    return [s.isoformat(sep=" ", timespec="minutes")
            for s in db.session.scalars(select(ClassSession.starts_at).order_by(ClassSession.starts_at))]


def roster_of(starts_at):
    return sorted(db.session.scalars(
        select(User.email).join(AttendanceRecord, AttendanceRecord.student_id == User.id)
        .join(ClassSession, AttendanceRecord.session_id == ClassSession.id)
        .where(ClassSession.starts_at == starts_at)))


def count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def csv_file(text, encoding="utf-8", name="roster.csv"):
    return (io.BytesIO(text.encode(encoding)), name)


def test_schedule_creates_the_term_skipping_holidays_and_reports_unknown_students(client, teacher, student,
                                                                                  make_user):
    make_user("b@school.test")
    response = schedule(client, teacher, skip_dates="2026-03-04", weekdays="Monday, wed",
                        student_email_ids="obama@school.test,b@school.test,ghost@school.test")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert [(s["class_date"], s["start_time"], s["end_time"]) for s in body["created"]] == [
        ("2026-03-02", "09:00", "09:50"), ("2026-03-09", "09:00", "09:50"), ("2026-03-11", "09:00", "09:50")]
    assert body["existing"] == [] and body["unknown_student_email_ids"] == ["ghost@school.test"]
    assert "3 sessions created" in body["SUCCESS"]
    assert session_starts() == ["2026-03-02 09:00", "2026-03-09 09:00", "2026-03-11 09:00"]
    assert roster_of(datetime(2026, 3, 11, 9)) == ["b@school.test", "obama@school.test"]
    assert count(AttendanceRecord) == 6


def test_the_same_schedule_twice_creates_nothing_new_and_leaves_existing_sessions_alone(client, teacher, student,
                                                                                        make_user):
    make_user("b@school.test")
    # one session of the term exists already, with its own roster
    create_class(client, teacher, roster="b@school.test", class_date="2026-03-04", start_time="09:00",
                 end_time="09:50")
    first = schedule(client, teacher, student_email_ids="obama@school.test")
    assert first.status_code == 200
    assert [s["class_date"] for s in first.get_json()["created"]] == ["2026-03-02", "2026-03-09", "2026-03-11"]
    assert [s["class_date"] for s in first.get_json()["existing"]] == ["2026-03-04"]
    assert roster_of(datetime(2026, 3, 4, 9)) == ["b@school.test"]
    again = schedule(client, teacher, student_email_ids="obama@school.test")
    assert again.status_code == 200
    assert again.get_json()["created"] == [] and len(again.get_json()["existing"]) == 4
    assert count(ClassSession) == 4 and count(AttendanceRecord) == 4


def test_schedule_without_roster_reuses_the_latest_one(client, teacher, student):
    create_class(client, teacher, roster="obama@school.test", class_date="2026-02-23", start_time="09:00",
                 end_time="09:50")
    assert schedule(client, teacher).status_code == 200
    assert roster_of(datetime(2026, 3, 11, 9)) == ["obama@school.test"]


def test_schedule_is_capped_at_a_term_and_a_refused_schedule_creates_nothing(client, teacher, student):
    too_long = schedule(client, teacher, weekdays="mon,tue,wed,thu,fri,sat,sun", from_date="2026-01-01",
                        to_date="2027-12-31", student_email_ids="obama@school.test")
    assert_error(too_long, 400, "too_many_sessions")
    assert count(ClassSession) == 0
    a_year_of_weekdays = schedule(client, teacher, weekdays="mon,tue,wed,thu,fri", from_date="2026-01-01",
                                  to_date="2026-12-31", student_email_ids="obama@school.test")
    assert a_year_of_weekdays.status_code == 200 and len(a_year_of_weekdays.get_json()["created"]) == 261


@pytest.mark.parametrize("fields, status, code", [
    ({"weekdays": "mon,funday"}, 400, "bad_field"),
    ({"weekdays": ""}, 400, "missing_field"),
    ({"from_date": "2026-03-20"}, 400, "bad_date_range"),
    ({"end_time": "08:00"}, 400, "bad_time_range"),
    ({"skip_dates": "2026-03-04,someday"}, 400, "bad_field"),
    ({"weekdays": "sat", "from_date": "2026-03-02", "to_date": "2026-03-06"}, 400, "no_sessions"),
])
def test_bad_schedules_are_refused(client, teacher, student, fields, status, code):
    assert_error(schedule(client, teacher, **fields), status, code)
    assert count(ClassSession) == 0


def test_students_cannot_create_schedules(client, student):
    email, token = student
    assert_error(post(client, "create_schedule", token, teacher_email_id=email, **TERM), 403, "wrong_role")


def test_schedule_from_a_roster_file(client, teacher, student, make_user):
    make_user("b@school.test")
    response = schedule(client, teacher, roster_file=csv_file("email,name\nobama@school.test,Barack\nB@school.test,Bee\n"))
    assert response.status_code == 200, response.get_json()
    assert roster_of(datetime(2026, 3, 2, 9)) == ["b@school.test", "obama@school.test"]


# --- roster files ------------------------------------------------------------------------------

@pytest.mark.parametrize("text, encoding", [
    ("\ufeffName;E-mail\nBarack Obama;obama@school.test\n\nBee;b@school.test\n", "utf-8"),  # BOM, ';', header
    ("obama@school.test,Barack\r\nb@school.test,Bee\r\n", "utf-8"),                        # no header, CRLF
    ("Nom;Courriel;Groupe\n\"Obama; Barack\";obama@school.test;A\nBée;b@school.test;B\n", "utf-8"),
    ("b@school.test\nobama@school.test\nb@school.test\n", "utf-8"),                          # emails only
])
def test_create_class_takes_a_roster_file(client, teacher, student, make_user, text, encoding):
    make_user("b@school.test")
    response = create_class(client, teacher, roster=None, roster_file=csv_file(text, encoding))
    assert response.status_code == 200, response.get_json()
    assert sorted(r["student_email_id"] for r in response.get_json()["records"]) == [
        "b@school.test", "obama@school.test"]


def test_a_bad_line_refuses_the_whole_file_and_names_every_bad_line(client, teacher, student):
    text = "email;name\nobama@school.test;Barack\nnot-an-email;X\n;Nobody\nb@school.test;Bee\nalso bad\n"
    response = create_class(client, teacher, roster=None, roster_file=csv_file(text))
    assert_error(response, 400, "bad_roster_file")
    message = response.get_json()["ERROR"]
    assert "line 3: 'not-an-email' is not an email address" in message
    assert "line 4: the email is missing" in message and "line 6: 'also bad'" in message
    assert "line 2" not in message and "line 5" not in message
    assert count(ClassSession) == 0 and count(AttendanceRecord) == 0


@pytest.mark.parametrize("data, says", [
    ("Nom;Prénom\nObama;Barack\n".encode("latin-1"), "not UTF-8"),
    (b"Student list\nobama@school.test\n", "line 1: the first row is neither a header"),
    (b"email,name\n", "lists no student"),
])
def test_unreadable_roster_files_are_refused(client, teacher, student, data, says):
    response = create_class(client, teacher, roster=None, roster_file=(io.BytesIO(data), "roster.csv"))
    assert_error(response, 400, "bad_roster_file")
    assert says in response.get_json()["ERROR"]
    assert count(ClassSession) == 0


def test_a_roster_as_emails_and_as_a_file_at_once_is_refused(client, teacher, student):
    response = create_class(client, teacher, roster="obama@school.test", roster_file=csv_file("obama@school.test\n"))
    assert_error(response, 400, "two_rosters")


def test_rosters_import_command_adds_the_file_to_coming_sessions(app, client, teacher, student, make_user, at,
                                                                 tmp_path):
    at(datetime(2026, 3, 5, 12))
    make_user("b@school.test")
    assert schedule(client, teacher, student_email_ids="obama@school.test").status_code == 200
    path = tmp_path / "roster.csv"
    path.write_bytes("\ufeffemail;name\nb@school.test;Bee\nobama@school.test;Barack\nghost@school.test;G\n"
                     .encode("utf-8"))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["rosters", "import", str(path), "--teacher", teacher[0], "--class", "Math 101"])
    assert result.exit_code == 0, result.output
    assert "2 sessions" in result.output and "2 records added" in result.output and "ghost@school.test" in result.output
    assert roster_of(datetime(2026, 3, 9, 9)) == ["b@school.test", "obama@school.test"]
    assert roster_of(datetime(2026, 3, 4, 9)) == ["obama@school.test"]  # ended: left alone
    unknown = runner.invoke(args=["rosters", "import", str(path), "--teacher", teacher[0], "--class", "Art"])
    assert unknown.exit_code != 0 and "no coming session" in unknown.output
    path.write_text("email\nb@school.test\nbad line\n")
    refused = runner.invoke(args=["rosters", "import", str(path), "--teacher", teacher[0], "--class", "Math 101"])
    assert refused.exit_code != 0 and "line 3" in refused.output


def test_the_same_schedule_sent_twice_at_once_creates_the_term_once(app, teacher, student):
    email, token = teacher
    statuses = concurrently(app, 4, lambda c: post(c, "create_schedule", token, teacher_email_id=email,
                                                   student_email_ids="obama@school.test", **TERM))
    assert statuses[0] == 200 and set(statuses) <= {200, 409}, statuses
    assert count(ClassSession) == 4 and count(AttendanceRecord) == 4


def test_schedule_as_json_with_a_list_of_holidays_and_the_csv_as_text(client, teacher, student):
    email, token = teacher
    response = client.post("/api/v1/create_schedule", headers={"Authorization": f"Bearer {token}"}, json={
        **TERM, "teacher_email_id": email, "weekdays": "mon", "skip_dates": ["2026-03-09"],
        "roster_file": "email;name\nobama@school.test;Barack\n"})
    assert response.status_code == 200, response.get_json()
    assert [s["class_date"] for s in response.get_json()["created"]] == ["2026-03-02"]
    assert roster_of(datetime(2026, 3, 2, 9)) == ["obama@school.test"]
