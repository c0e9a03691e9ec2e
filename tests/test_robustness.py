"""Malformed requests to every endpoint: always a 4xx in the error shape, never a 5xx or a write."""
import pytest
from sqlalchemy import func, select

import models
from models import TEACHER, db

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
