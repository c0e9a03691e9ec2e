"""Malformed requests to every endpoint: always a 4xx in the error shape, never a 5xx or a write."""
import pytest
from sqlalchemy import func, select

import models
from models import TEACHER, db
from tests.helpers import PASSWORD, assert_error

BAD_BODIES = [
    {},
    {"json": [1, 2, 3]},
    {"json": {"email_id": {"$ne": None}, "teacher_email_id": ["a"], "passwd_hash": 5, "image": ["@@"]}},
    {"json": {"class_name": "x\x00y", "class_date": "2026-02-30", "start_time": "25:00", "end_time": "-1"}},
    {"json": {"class_name": "A", "class_date": "0000-01-01", "start_time": "9", "end_time": "10:00",
              "student_email_ids": {"a": 1}, "status": None, "limit": "1e9", "offset": "-5"}},
    {"data": "email_id=%ZZ&name=\xff", "content_type": "application/x-www-form-urlencoded"},
    {"data": b"--broken\r\nContent-Disposition: form-data; name=\"image_file\"\r\n\r\nxx",
     "content_type": "multipart/form-data; boundary=broken"},
    {"data": b"\x89PNG\r\n\x1a\n garbage", "content_type": "image/png"},
    {"data": "[" * 1000 + "]" * 1000, "content_type": "application/json"},
    {"data": '{"a": ' * 5000 + "1" + "}" * 5000, "content_type": "application/json"},
    {"json": {"review": "\ud800", "class_name": "\ud800", "name": "\ud800", "token": "\ud800",
              "email_id": "a\udfff@b.co", "teacher_email_id": "\ud800@b.co", "passwd_hash": "\ud800",
              "student_email_ids": ["x\ud800@b.co"], "class_date": "2026-03-02", "start_time": "09:00",
              "end_time": "10:00"}},
    {"json": {"email_id": "\u0130" * 240 + "@example.com", "teacher_email_id": "\u0130" * 240 + "@example.com",
              "student_email_ids": "\u0130" * 240 + "@example.com", "name": "n", "passwd_hash": "p"}},
    {"json": {"class_name": "A", "class_date": "0001-01-01", "start_time": "00:00", "end_time": "00:30"}},
    {"json": {"review": "r" * 20_000, "email_id": "a@b.co", "name": "n" * 5000, "passwd_hash": "p",
              "image": "data:image/png;base64,iVBORw0KGgo="}},
]


def _paths(app):
    return sorted(r.rule for r in app.url_map.iter_rules() if r.rule.startswith("/api/v1/")
                  and "POST" in r.methods)


def _rows():
    return {t.name: db.session.scalar(select(func.count()).select_from(t)) for t in models.Base.metadata.sorted_tables}


@pytest.mark.parametrize("as_owner", [False, True])
def test_malformed_requests_get_a_4xx_and_change_nothing(app, client, make_user, as_owner):
    email, token = make_user("t@school.test", TEACHER, photo="biden.jpg")
    before = _rows()
    for path in _paths(app):
        for body in BAD_BODIES:
            headers = {"Authorization": f"Bearer {token if as_owner else 'forged'}"}
            response = client.post(path, headers=headers, **body)
            assert 400 <= response.status_code < 500, (path, body, response.get_data(as_text=True)[:300])
            error = response.get_json()
            assert set(error) == {"ERROR", "code"} and error["ERROR"], (path, body)
    assert _rows() == before


def test_nul_bytes_are_refused_not_passed_to_the_database(client, teacher):
    email, token = teacher
    response = client.post("/api/v1/create_class", headers={"Authorization": f"Bearer {token}"},
                           json={"teacher_email_id": email, "class_name": "Ma\x00th", "class_date": "2026-03-02",
                                 "start_time": "09:00", "end_time": "10:00"})
    assert response.status_code == 400 and response.get_json()["code"] == "bad_field"


def _json_post(client, path, body, token=None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.post(f"/api/v1/{path}", headers=headers, json=body)


@pytest.mark.parametrize("body", ["[" * 1000 + "]" * 1000, '{"a": ' * 1000 + "1" + "}" * 1000,
                                  '{"a": ' * 17 + "1" + "}" * 17])
def test_deeply_nested_json_is_refused(client, body):
    response = client.post("/api/v1/login_student", data=body, content_type="application/json")
    assert_error(response, 400, "bad_json")


def test_moderately_nested_json_is_still_read(client, student):
    email, _ = student
    response = _json_post(client, "login_student", {"email_id": email, "passwd_hash": PASSWORD,
                                                    "extra": [[[[{"a": [1]}]]]]})
    assert response.status_code == 200


@pytest.mark.parametrize("path, field", [("submit_review", "review"), ("create_class", "class_name"),
                                         ("register_student", "name"), ("get_profile", "token"),
                                         ("login_student", "email_id"), ("create_class", "student_email_ids")])
def test_lone_surrogates_in_text_are_refused(client, teacher, path, field):
    email, token = teacher
    body = {"teacher_email_id": email, "email_id": "new@school.test", "name": "N", "passwd_hash": "p",
            "review": "fine", "class_name": "Math", "class_date": "2026-03-02", "start_time": "09:00",
            "end_time": "10:00", "image": "AAAA"}
    body[field] = "a\ud800b" if field != "student_email_ids" else ["x\ud800@school.test"]
    if field == "token":
        body["email_id"] = email
    response = _json_post(client, path, body, None if field == "token" else token)
    assert_error(response, 400, "bad_field")
    assert db.session.scalar(select(func.count()).select_from(models.Review)) == 0
    assert db.session.scalar(select(func.count()).select_from(models.ClassSession)) == 0


def test_email_is_checked_after_normalising(client):
    # U+0130 lowercases to two characters: 240 of them pass a 254 check made before
    # lowercasing and then become 492 characters, too long for the column.
    email = "\u0130" * 240 + "@example.com"
    response = _json_post(client, "register_student", {"email_id": email, "name": "N", "passwd_hash": "p",
                                                       "image": "AAAA"})
    assert_error(response, 400, "bad_field")
    assert "254" in response.get_json()["ERROR"]
    assert db.session.scalar(select(func.count()).select_from(models.User)) == 0


def test_emails_are_stored_nfc_and_lowercase(client, student):
    # A decomposed accent (E + U+0301) in mixed case logs in as the stored precomposed, lowercase address.
    from models import User
    user = db.session.scalar(select(User))
    user.email = "\u00e9lise@school.test"
    db.session.commit()
    response = _json_post(client, "login_student", {"email_id": "E\u0301lise@School.test", "passwd_hash": PASSWORD})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["email_id"] == "\u00e9lise@school.test"


@pytest.mark.parametrize("day", ["0001-01-01", "1999-12-31", "2101-01-01", "9999-12-31"])
def test_dates_outside_2000_to_2100_are_refused(client, teacher, day):
    email, token = teacher
    response = _json_post(client, "create_class", {"teacher_email_id": email, "class_name": "Math",
                                                   "class_date": day, "start_time": "00:00",
                                                   "end_time": "00:30"}, token)
    assert_error(response, 400, "bad_field")
    assert "2000" in response.get_json()["ERROR"] and "2100" in response.get_json()["ERROR"]
    assert db.session.scalar(select(func.count()).select_from(models.ClassSession)) == 0


@pytest.mark.parametrize("day", ["2000-01-01", "2100-12-31"])
def test_dates_at_the_ends_of_the_range_are_accepted(client, teacher, day):
    email, token = teacher
    response = _json_post(client, "create_class", {"teacher_email_id": email, "class_name": "Math",
                                                   "class_date": day, "start_time": "00:00",
                                                   "end_time": "23:30"}, token)
    assert response.status_code == 200, response.get_json()
