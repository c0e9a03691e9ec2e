"""Registration, login, tokens, profile, reviews: through HTTP, checking the database after."""
import base64
import hashlib
import io
from datetime import timedelta

import numpy as np
import pytest
from PIL import Image
from sqlalchemy import func, select

from models import STUDENT, TEACHER, FaceEncoding, Review, Token, User, db
from services import clock
from tests.helpers import CHEAP_PASSWORD_HASH, PASSWORD, assert_error, concurrently, fixture_bytes, post


def count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def photo(name):
    return (io.BytesIO(fixture_bytes(name)), name)


def register(client, path="register_student", email="obama@school.test", photo_name="obama.jpg", **extra):
    fields = {"email_id": email, "name": "Barack", "passwd_hash": PASSWORD,
              "image_file": photo(photo_name) if photo_name else None}
    fields.update(extra)
    return post(client, path, **{k: v for k, v in fields.items() if v is not None})


def assert_nothing_written():
    assert (count(User), count(FaceEncoding), count(Token)) == (0, 0, 0)


@pytest.mark.face
def test_register_student_enrolls_the_face_and_returns_a_token(client):
    response = register(client)
    assert response.status_code == 200
    body = response.get_json()
    assert body["email_id"] == "obama@school.test" and body["name"] == "Barack"
    assert body["user_type"] == STUDENT and body["faces_enrolled"] == 1
    assert len(body["token"]) >= 43
    text = response.get_data(as_text=True)
    assert "encoding" not in text and "hash" not in text
    user = db.session.scalar(select(User))
    assert user.password_hash != PASSWORD and user.password_hash.startswith(CHEAP_PASSWORD_HASH + "$")
    assert len(user.faces) == 1 and len(user.faces[0].encoding) == 1 + 4 + 12 + 128 * 8 + 16  # sealed
    token = db.session.scalar(select(Token))
    assert token.digest == hashlib.sha256(body["token"].encode()).hexdigest()


@pytest.mark.face
@pytest.mark.settings(TEACHER_SIGNUP="open")
def test_register_teacher_takes_name_under_either_field(client):
    response = register(client, "register_teacher", email="t@school.test", photo_name="biden.jpg",
                        name=None, teacher_name="Joe")
    assert response.status_code == 200
    assert response.get_json()["user_type"] == TEACHER and response.get_json()["name"] == "Joe"


@pytest.mark.face
@pytest.mark.parametrize("image", ["obama_exif_rotated.jpg", "obama_rgba.png"])
def test_rotated_and_transparent_photos_enroll(client, image):
    assert register(client, photo_name=image).status_code == 200


def _as_format(photo, fmt, convert):
    buffer = io.BytesIO()
    convert(Image.open(io.BytesIO(fixture_bytes(photo)))).save(buffer, fmt)
    return buffer.getvalue()


@pytest.mark.face
@pytest.mark.parametrize("fmt, convert", [
    ("PNG", lambda im: im.convert("L")),
    ("PNG", lambda im: Image.fromarray(np.asarray(im.convert("L")).astype(np.uint16) * 257)),  # 16-bit
    ("PNG", lambda im: im.convert("P")),
    ("JPEG", lambda im: im.convert("CMYK")),
    ("WEBP", lambda im: im),
], ids=["gray", "gray16", "palette", "cmyk", "webp"])
def test_other_image_kinds_enroll(client, fmt, convert):
    data = _as_format("obama.jpg", fmt, convert)
    response = post(client, "register_student", email_id="obama@school.test", name="x", passwd_hash=PASSWORD,
                    image_file=(io.BytesIO(data), "photo"))
    assert response.status_code == 200, response.get_json()


@pytest.mark.face
def test_web_client_form_with_base64_data_url(client):
    encoded = base64.b64encode(fixture_bytes("obama.jpg")).decode()
    # urlencoded bodies turn '+' into ' ' when the client forgets to escape it
    data = {"email_id": "obama@school.test", "name": "Barack", "passwd_hash": PASSWORD,
            "image": "data:image/jpeg;base64," + encoded.replace("+", " ")}
    response = client.post("/api/v1/register_student", data=data)
    assert response.status_code == 200, response.get_json()


@pytest.mark.face
def test_json_body_with_base64_image(client):
    response = client.post("/api/v1/register_student", json={
        "email_id": "obama@school.test", "name": "Barack", "passwd_hash": PASSWORD,
        "image": base64.b64encode(fixture_bytes("obama.jpg")).decode()})
    assert response.status_code == 200


@pytest.mark.face
def test_photo_without_face_is_refused_and_nothing_is_written(client):
    response = register(client, photo_name="no_face.jpg")
    assert response.status_code == 422 and response.get_json()["code"] == "no_face"
    assert_nothing_written()


@pytest.mark.face
def test_photo_with_two_people_is_refused(client):
    response = register(client, photo_name="obama_biden.jpg")
    assert response.status_code == 422 and response.get_json()["code"] == "multiple_faces"
    assert_nothing_written()


@pytest.mark.face
@pytest.mark.settings(TEACHER_SIGNUP="open")
def test_second_registration_of_an_email_conflicts(client):
    assert register(client).status_code == 200
    response = register(client, email="OBAMA@school.test")
    assert response.status_code == 409 and response.get_json()["code"] == "email_taken"
    assert count(User) == 1 and count(Token) == 1
    # the same email may hold the other role
    assert register(client, "register_teacher").status_code == 200


def _png(width, height):
    buffer = io.BytesIO()
    Image.new("1", (width, height)).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.mark.parametrize("data, status, code", [
    (b"%PDF-1.4 not a photo", 415, "not_an_image"),
    (fixture_bytes("obama.jpg")[:100_000], 415, "unreadable_image"),
    (_png(12_000, 12_000), 413, "too_many_pixels"),
])
def test_bad_images_are_refused(client, data, status, code):
    response = register(client, photo_name=None, image_file=(io.BytesIO(data), "upload"))
    assert response.status_code == status
    assert response.get_json()["code"] == code and response.get_json()["ERROR"]
    assert_nothing_written()


def test_oversize_body_is_refused(settings):
    from app import create_app
    app = create_app({**settings, "MAX_CONTENT_LENGTH": 100_000})
    with app.app_context():
        response = register(app.test_client())
        assert response.status_code == 413 and response.get_json()["code"] == "too_large"
        assert_nothing_written()


@pytest.mark.parametrize("fields, code", [
    ({"email_id": None}, "missing_field"),
    ({"email_id": "not-an-email"}, "bad_field"),
    ({"passwd_hash": ""}, "missing_field"),
    ({"image_file": None}, "missing_field"),
    ({"image_file": None, "image": "***not base64***"}, "bad_base64"),
    ({"name": "x" * 300}, "bad_field"),
])
def test_malformed_registrations_are_400(client, fields, code):
    response = register(client, **fields)
    assert response.status_code == 400 and response.get_json()["code"] == code
    assert_nothing_written()


@pytest.mark.parametrize("body", [
    {"email_id": ["a@b.c"], "name": "x", "passwd_hash": "p", "image": "AAAA"},
    {"email_id": "a@b.c", "name": {"x": 1}, "passwd_hash": "p", "image": "AAAA"},
    {"email_id": "a@b.c", "name": "x", "passwd_hash": "p", "image": 12},
])
def test_wrong_json_types_are_400(client, body):
    response = client.post("/api/v1/register_student", json=body)
    assert response.status_code == 400 and response.get_json()["code"] == "bad_field"


def test_broken_json_is_400(client):
    response = client.post("/api/v1/login_student", data="{not json", content_type="application/json")
    assert_error(response, 400, "bad_json")


def test_login_issues_a_new_token_each_time(client, student):
    email, first = student
    response = post(client, "login_student", email_id=email, passwd_hash=PASSWORD)
    assert response.status_code == 200
    second = response.get_json()["token"]
    assert second != first and response.get_json()["user_type"] == STUDENT
    assert count(Token) == 2


@pytest.mark.settings(TIMEZONE="Europe/Paris")
def test_login_says_the_schools_time_zone(client, student):
    email, _ = student
    answer = post(client, "login_student", email_id=email, passwd_hash=PASSWORD).get_json()
    assert answer["school_timezone"] == "Europe/Paris"


@pytest.mark.parametrize("path, email, password", [
    ("login_student", "obama@school.test", "wrong"),
    ("login_student", "nobody@school.test", PASSWORD),
    ("login_teacher", "obama@school.test", PASSWORD),  # a student is not a teacher
])
def test_bad_credentials_are_401(client, student, path, email, password):
    response = post(client, path, email_id=email, passwd_hash=password)
    assert response.status_code == 401 and response.get_json()["code"] == "bad_credentials"
    assert count(Token) == 1


def test_repeated_failed_logins_are_throttled(client, student):
    email, _ = student
    codes = [post(client, "login_student", email_id=email, passwd_hash=f"guess{i}").status_code
             for i in range(11)]
    assert codes[:10] == [401] * 10 and codes[10] == 429
    response = post(client, "login_student", email_id=email, passwd_hash=PASSWORD)
    assert response.status_code == 429 and response.get_json()["code"] == "too_many_attempts"


def test_profile_is_only_for_its_owner(client, student, make_user):
    email, token = student
    ok = post(client, "get_profile", token, email_id=email, user_type="0")
    assert ok.status_code == 200
    assert ok.get_json() | {"create_datetime": None} == {
        "email_id": email, "name": "Barack", "user_type": 0, "faces_enrolled": 1, "create_datetime": None,
        "status": "active", "teachers": [], "guardian_email": None}
    make_user("other@school.test")
    assert_error(post(client, "get_profile", token, email_id="other@school.test"), 403, "not_yours")
    assert_error(post(client, "get_profile", token, email_id=email, user_type="1"), 403, "wrong_role")


def test_token_as_a_form_field_works_too(client, student):
    email, token = student
    assert post(client, "get_profile", email_id=email, token=token).status_code == 200


@pytest.mark.parametrize("token, code", [(None, "token_missing"), ("forged" * 8, "token_invalid")])
def test_missing_or_forged_token_is_401(client, student, token, code):
    response = post(client, "get_profile", token, email_id=student[0])
    assert response.status_code == 401 and response.get_json()["code"] == code


def test_tokens_expire(client, student, at):
    email, token = student
    at(clock.utc_naive() + timedelta(hours=2))  # the factory issues one-hour tokens
    response = post(client, "get_profile", token, email_id=email)
    assert response.status_code == 401 and response.get_json()["code"] == "token_expired"


def test_login_clears_expired_tokens(client, student, at):
    email, _ = student
    at(clock.utc_naive() + timedelta(hours=2))
    assert post(client, "login_student", email_id=email, passwd_hash=PASSWORD).status_code == 200
    assert count(Token) == 1


def test_logout_revokes_only_the_presented_token(client, student):
    email, token = student
    other = post(client, "login_student", email_id=email, passwd_hash=PASSWORD).get_json()["token"]
    assert post(client, "logout", token, email_id=email).status_code == 200
    assert_error(post(client, "get_profile", token, email_id=email), 401, "token_invalid")
    assert post(client, "get_profile", other, email_id=email).status_code == 200


def test_review_is_stored(client):
    assert post(client, "submit_review", review="Great app").status_code == 200
    assert post(client, "submit_review", msg="Sent by the web client").status_code == 200
    assert [r.text for r in db.session.scalars(select(Review).order_by(Review.id))] == [
        "Great app", "Sent by the web client"]


@pytest.mark.parametrize("text", ["", "   ", "x" * 10_001])
def test_empty_or_huge_review_is_refused(client, text):
    assert_error(post(client, "submit_review", review=text), 400, "bad_field" if text.strip() else "missing_field")
    assert count(Review) == 0


def test_test_insertion_is_harmless(client):
    response = client.get("/api/v1/test_insertion")
    assert response.status_code == 200 and response.get_json() == {}


def test_unknown_path_and_wrong_method_answer_in_the_error_shape(client):
    assert client.post("/api/v1/nope").get_json()["code"] == "not_found"
    assert_error(client.get("/api/v1/login_student"), 405, "method_not_allowed")


@pytest.mark.face
def test_concurrent_duplicate_registrations_make_one_account(app):
    encoded = base64.b64encode(fixture_bytes("obama.jpg")).decode()
    statuses = concurrently(app, 8, lambda c: c.post("/api/v1/register_student", data={
        "email_id": "obama@school.test", "name": "B", "passwd_hash": PASSWORD, "image": encoded}))
    assert statuses == [200] + [409] * 7
    assert count(User) == 1 and count(FaceEncoding) == 1 and count(Token) == 1
