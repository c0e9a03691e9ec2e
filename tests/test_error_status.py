"""ERROR_STATUS=200: every refusal under /api answers 200 with the same {"ERROR", "code"} body
(what the original web client can show); server faults keep their status."""
import io

import pytest
from sqlalchemy.exc import OperationalError

from services import reports
from tests.helpers import FACE_KEY, PASSWORD, post


@pytest.fixture
def settings(settings):
    return {**settings, "ERROR_STATUS": "200"}


def refusal(response, status, code):
    """A refusal as the original client sees it: 200 and the error body; the real status in a header."""
    body = response.get_json()
    assert response.status_code == 200, (response.status_code, body)
    assert set(body) == {"ERROR", "code"} and body["ERROR"], body
    assert body["code"] == code, body
    assert response.headers["X-Error-Status"] == str(status)
    return body


def test_refusals_from_the_services_answer_200(client, student):
    email, token = student
    refusal(post(client, "get_student_stats", None, email_id=email), 401, "token_missing")
    refusal(post(client, "get_student_stats", "forged", email_id=email), 401, "token_invalid")
    refusal(post(client, "get_classes_by_teacher", token, email_id=email), 403, "wrong_role")
    refusal(post(client, "login_student", email_id="nobody@school.test", passwd_hash=PASSWORD), 401,
            "bad_credentials")
    refusal(post(client, "create_class"), 401, "token_missing")


def test_refusals_raised_before_a_view_runs_answer_200(client):
    refusal(client.post("/api/v1/no_such_endpoint", data={"a": "b"}), 404, "not_found")
    refusal(client.get("/api/v1/login_student"), 405, "method_not_allowed")


def test_an_upload_that_is_not_an_image_answers_200_with_415s_code(client):
    response = post(client, "register_student", email_id="a@school.test", name="A", passwd_hash=PASSWORD,
                    image_file=(io.BytesIO(b"%PDF-1.4 not a photo"), "doc.pdf"))
    refusal(response, 415, "not_an_image")


def test_too_large_and_too_many_attempts_answer_200(settings):
    from app import create_app
    app = create_app({**settings, "MAX_CONTENT_LENGTH": 1000})
    with app.app_context():
        client = app.test_client()
        body = refusal(post(client, "register_student", email_id="a@school.test",
                            image_file=(io.BytesIO(b"x" * 5000), "big.jpg")), 413, "too_large")
        assert "MB limit" in body["ERROR"]
        for _ in range(10):
            refusal(post(client, "login_student", email_id="a@school.test", passwd_hash="wrong"), 401,
                    "bad_credentials")
        refusal(post(client, "login_student", email_id="a@school.test", passwd_hash="wrong"), 429,
                "too_many_attempts")


def test_the_browser_may_read_a_refusal_across_origins(client):
    response = client.post("/api/v1/get_student_stats", data={"email_id": "a@school.test"},
                           headers={"Origin": "http://client.example"})
    refusal(response, 401, "token_missing")
    assert response.headers["Access-Control-Allow-Origin"] in ("*", "http://client.example")


@pytest.mark.parametrize("fault, status, code", [
    (RuntimeError("bug"), 500, "internal_error"),
    (OperationalError("SELECT 1", {}, Exception("gone")), 503, "database_unavailable"),
])
def test_server_faults_keep_their_status(client, student, monkeypatch, fault, status, code):
    def broken(*args, **kwargs):
        raise fault
    monkeypatch.setattr(reports, "student_counts", broken)
    email, token = student
    response = post(client, "get_student_stats", token, email_id=email)
    assert response.status_code == status and response.get_json()["code"] == code
    assert "X-Error-Status" not in response.headers


def test_paths_outside_the_api_keep_their_status(client):
    response = client.get("/no_such_page")
    assert response.status_code == 404 and response.get_json()["code"] == "not_found"


def test_the_default_answers_real_statuses(database_url):
    from app import create_app
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "test", "FACE_KEY": FACE_KEY, "TESTING": True})
    assert app.config["ERROR_STATUS"] == "http"
    with app.app_context():
        response = app.test_client().post("/api/v1/no_such_endpoint")
        assert response.status_code == 404 and response.get_json()["code"] == "not_found"
        assert "X-Error-Status" not in response.headers


def test_a_mistyped_setting_stops_the_start(monkeypatch):
    import config
    monkeypatch.setenv("ERROR_STATUS", "ok")
    with pytest.raises(SystemExit, match="ERROR_STATUS"):
        config.load({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x", "FACE_KEY": FACE_KEY})
