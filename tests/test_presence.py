"""Presence codes: a session created with require_code=1 checks in only with the room's current code."""
import base64
import io
from datetime import timedelta

import pytest
from PIL import Image
from sqlalchemy import select

from models import AttendanceRecord, PresenceSecret, db
from tests.helpers import NOON, START, assert_error, check_in, create_class, fixture_bytes, post, slot_fields
from tests.test_terms import schedule


def presence_code(client, teacher, start=START, **extra):
    email, token = teacher
    response = post(client, "get_presence_code", token, teacher_email_id=email, **slot_fields(start), **extra)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def unmarked():
    return [r.status for r in db.session.scalars(select(AttendanceRecord))] == [None]


def test_teacher_gets_a_rotating_six_digit_code_and_a_qr_but_never_the_secret(client, teacher, student, at):
    at(NOON)
    assert create_class(client, teacher, require_code="1").status_code == 200
    [secret] = db.session.scalars(select(PresenceSecret.secret)).all()
    first = presence_code(client, teacher, qr="1")
    assert len(first["presence_code"]) == 6 and first["presence_code"].isdigit()
    assert first["step_seconds"] == 30 and 1 <= first["valid_for_seconds"] <= 30
    png = base64.b64decode(first["qr_png_base64"])
    assert png.startswith(b"\x89PNG") and Image.open(io.BytesIO(png)).size[0] >= 200
    assert secret not in str(first)
    assert presence_code(client, teacher)["presence_code"] == first["presence_code"]  # same step
    at(NOON + timedelta(seconds=30))
    assert presence_code(client, teacher)["presence_code"] != first["presence_code"]
    assert "qr_png_base64" not in presence_code(client, teacher)


def test_sessions_without_a_code_say_so_and_students_cannot_ask(client, teacher, student, at):
    at(NOON)
    create_class(client, teacher)
    email, token = teacher
    assert_error(post(client, "get_presence_code", token, teacher_email_id=email, **slot_fields(START)),
                 409, "no_presence_code")
    email, token = student
    assert_error(post(client, "get_presence_code", token, teacher_email_id=email, **slot_fields(START)),
                 403, "wrong_role")


@pytest.mark.parametrize("code", [None, "", "12345", "abcdef", "wrong"])
def test_a_check_in_without_a_valid_code_is_422_and_marks_nothing(client, teacher, student, at, code):
    at(NOON)
    create_class(client, teacher, require_code="1")
    real = presence_code(client, teacher)["presence_code"]
    sent = {"wrong": f"{(int(real) + 1) % 1_000_000:06d}"}.get(code, code)
    extra = {} if sent is None else {"presence_code": sent}
    assert_error(check_in(client, student, **extra), 422, "bad_presence_code")
    assert unmarked()


def test_an_expired_code_is_refused(client, teacher, student, at):
    at(NOON)
    create_class(client, teacher, require_code="1")
    code = presence_code(client, teacher)["presence_code"]
    at(NOON + timedelta(seconds=75))  # two steps later: the code is no longer current nor the previous one
    assert_error(check_in(client, student, presence_code=code), 422, "bad_presence_code")
    assert unmarked()


@pytest.mark.face
@pytest.mark.parametrize("seconds_later", [0, 30])
def test_the_current_or_previous_code_checks_in(client, teacher, student, at, seconds_later):
    at(NOON)
    create_class(client, teacher, require_code="1")
    code = presence_code(client, teacher)["presence_code"]
    at(NOON + timedelta(seconds=seconds_later))
    response = check_in(client, student, presence_code=code[:3] + " " + code[3:])
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["record"]["status"] == "present"


@pytest.mark.face
def test_sessions_without_a_code_still_check_in_without_one(client, teacher, student, at):
    at(NOON)
    create_class(client, teacher)
    assert check_in(client, student).status_code == 200


def test_a_schedule_can_require_codes_with_a_secret_per_session(client, teacher, student):
    response = schedule(client, teacher, student_email_ids="obama@school.test", require_code="1")
    assert response.status_code == 200 and len(response.get_json()["created"]) == 4
    secrets = db.session.scalars(select(PresenceSecret.secret)).all()
    assert len(secrets) == len(set(secrets)) == 4


@pytest.mark.face
def test_class_photos_need_no_code(client, teacher, student, at):
    at(NOON)
    create_class(client, teacher, require_code="1")
    email, token = teacher
    response = post(client, "mark_class_attendance", token, teacher_email_id=email,
                    image_file=(io.BytesIO(fixture_bytes("obama_2.jpg")), "room.jpg"), **slot_fields(START))
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["present"] == ["obama@school.test"]


def test_wrong_codes_are_rate_limited_like_face_mismatches(client, teacher, student, at):
    at(NOON)
    create_class(client, teacher, require_code="1")
    for guess in range(5):
        assert_error(check_in(client, student, presence_code=f"00000{guess}"), 422, "bad_presence_code")
    assert_error(check_in(client, student, presence_code=presence_code(client, teacher)["presence_code"]),
                 429, "too_many_mismatches")
    assert unmarked()
