"""Request bodies: uploads stay in memory, and a form with too many parts is told so."""
import base64
import os
import tempfile

import pytest

from services import faces
from services.errors import FaceProblem
from tests.helpers import PASSWORD, assert_error, fixture_bytes


def _multipart(fields, files=()):
    """A multipart body built here, not by the test client (which spools large bodies to a
    temporary file of its own)."""
    boundary = "rollcall-test-boundary"
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
             for name, value in fields]
    parts += [f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
              f'Content-Type: application/octet-stream\r\n\r\n'.encode() + data + b"\r\n"
              for name, filename, data in files]
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


@pytest.fixture
def temp_files(monkeypatch):
    """Every temporary file (or spool) opened while the test runs, by the name of the call."""
    opened = []
    for name in ("TemporaryFile", "NamedTemporaryFile", "SpooledTemporaryFile", "mkstemp"):
        original = getattr(tempfile, name)

        def recording(*args, _original=original, _name=name, **kwargs):
            opened.append(_name)
            return _original(*args, **kwargs)
        monkeypatch.setattr(tempfile, name, recording)
        # Werkzeug imported SpooledTemporaryFile by name; a spool rolls over through tempfile.
        import werkzeug.formparser as formparser
        if hasattr(formparser, name):
            monkeypatch.setattr(formparser, name, recording)
    return opened


def test_a_5_mb_upload_creates_no_temporary_file(client, temp_files, monkeypatch):
    photo = fixture_bytes("obama.jpg")
    padding = os.urandom(5 * 1024 * 1024)  # after the JPEG's end marker: still the same photo
    body, content_type = _multipart([("email_id", "x@school.test"), ("name", "X"), ("passwd_hash", PASSWORD)],
                                    [("image_file", "big.jpg", photo + padding)])
    assert len(body) > 5 * 1024 * 1024
    received = []

    def stand_in_pipeline(data, max_pixels):
        received.append(len(data))
        raise FaceProblem("No face (stand-in pipeline).", code="no_face")
    monkeypatch.setattr(faces, "enrollment_encoding", stand_in_pipeline)
    response = client.post("/api/v1/register_student", data=body, content_type=content_type)
    assert_error(response, 422, "no_face")
    assert received == [len(photo) + len(padding)]  # the whole upload reached the pipeline
    assert temp_files == []


def test_a_large_base64_field_is_not_refused_as_too_large(client):
    # A photo sent as a base64 text field over 500 KB is within MAX_UPLOAD_MB.
    data = base64.b64encode(b"%PDF" + os.urandom(700_000)).decode()
    body, content_type = _multipart([("email_id", "x@school.test"), ("name", "X"), ("passwd_hash", PASSWORD),
                                     ("image", data)])
    response = client.post("/api/v1/register_student", data=body, content_type=content_type)
    assert_error(response, 415, "not_an_image")


def test_too_many_form_parts_is_413_too_many_parts(client):
    body, content_type = _multipart([(f"f{i}", "x") for i in range(2000)])
    response = client.post("/api/v1/login_student", data=body, content_type=content_type)
    assert_error(response, 413, "too_many_parts")
    assert "parts" in response.get_json()["ERROR"] and "MB" not in response.get_json()["ERROR"]


def test_a_body_over_the_size_limit_is_still_413_too_large(settings):
    from app import create_app
    app = create_app({**settings, "MAX_CONTENT_LENGTH": 100_000})
    body, content_type = _multipart([(f"f{i}", "x" * 100) for i in range(2000)])
    response = app.test_client().post("/api/v1/login_student", data=body, content_type=content_type)
    assert_error(response, 413, "too_large")
    assert "MB" in response.get_json()["ERROR"]
