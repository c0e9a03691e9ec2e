"""What tests share: photos, requests, and factories that build state through the services."""
import io
import threading
import zlib
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
from sqlalchemy import select

from models import STUDENT, TEACHER, User, db
from services import accounts, auth, faces, sessions

FIXTURES = Path(__file__).parent / "fixtures"
PASSWORD = "5f4dcc3b5aa765d61d8327deb882cf99"  # what the web client sends: an MD5 of the password
CHEAP_PASSWORD_HASH = "pbkdf2:sha256:1"  # tests only: the strong default is tested on its own
FACE_KEY = "5eed" * 16  # tests seal templates under their own key, so nothing is written to instance/
NOON = datetime(2026, 3, 2, 12, 0)
START = NOON - timedelta(minutes=5)  # a class that is open at NOON


def fixture_bytes(name):
    return (FIXTURES / name).read_bytes()


_encodings = {}


def real_encoding(photo):
    """The real pipeline's encoding of a fixture photo, computed once per test run."""
    if photo not in _encodings:
        _encodings[photo] = faces.enrollment_encoding(fixture_bytes(photo), 50_000_000)
    return _encodings[photo]


def stand_in_encoding(photo):
    """A fixed 128-d vector per photo, for tests that never compare faces (so they run
    without the face model, as ``pytest -m "not face"`` promises)."""
    return np.random.default_rng(zlib.crc32(photo.encode())).normal(0, 0.1, 128)


def make_user(email, role=STUDENT, face="obama.jpg", name=None, encode=stand_in_encoding):
    """An account enrolled with the fixture photo ``face``; returns (email, token)."""
    user = accounts.create_user(role, email, name or email.split("@")[0], PASSWORD, encode(face),
                                CHEAP_PASSWORD_HASH, face_key=bytes.fromhex(FACE_KEY))
    token, _ = auth.issue_token(user, 3600)
    db.session.commit()
    return email, token


def make_teacher(email="teacher@school.test", face="biden.jpg", name="Ms Teacher", **kwargs):
    return make_user(email, TEACHER, face, name, **kwargs)


def make_student(email="obama@school.test", face="obama.jpg", name="Barack", **kwargs):
    return make_user(email, STUDENT, face, name, **kwargs)


def make_session(teacher_email, roster=(), starts=NOON, minutes=60, name="Math 101"):
    """A class session of the teacher's with the given roster emails; returns its fields."""
    teacher = db.session.scalar(select(User).where(User.email == teacher_email, User.role == TEACHER))
    fields = slot_fields(starts, minutes, name)
    slot = sessions.Slot(name, starts.date(), starts.time(), (starts + timedelta(minutes=minutes)).time())
    sessions.create_session(teacher, slot, list(roster))
    db.session.commit()
    return fields


def post(client, path, token=None, **fields):
    """POSTs multipart form fields (as the web client does) to /api/v1/<path>."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.post(f"/api/v1/{path}", data=fields, headers=headers, content_type="multipart/form-data")


def slot_fields(start, minutes=60, name="Math 101"):
    end = start + timedelta(minutes=minutes)
    return {"class_name": name, "class_date": start.strftime("%Y-%m-%d"),
            "start_time": start.strftime("%H:%M"), "end_time": end.strftime("%H:%M")}



def create_class(client, teacher, roster="obama@school.test", start=START, path="get_create_class", **extra):
    email, token = teacher
    fields = {"teacher_email_id": email, **slot_fields(start)}
    if roster is not None:
        fields["student_email_ids"] = roster
    fields.update(extra)
    return post(client, path, token, **fields)


def check_in(client, student, photo="obama_2.jpg", start=START, **extra):
    email, token = student
    return post(client, "mark_attendance", token, email_id=email,
                image_file=(io.BytesIO(fixture_bytes(photo)), photo), **slot_fields(start), **extra)


def assert_error(response, status, code):
    """The contract's error: the status, the shape, a message and the stable code."""
    body = response.get_json()
    assert response.status_code == status, (response.status_code, body)
    assert set(body) == {"ERROR", "code"} and body["ERROR"], body
    assert body["code"] == code, body


def concurrently(app, count, send):
    """Runs ``send(client)`` from ``count`` threads released together; returns their statuses, sorted."""
    statuses, barrier = [], threading.Barrier(count)

    def attempt():
        client = app.test_client()
        barrier.wait()
        statuses.append(send(client).status_code)

    threads = [threading.Thread(target=attempt) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(statuses)


PEOPLE = {  # email -> (enrollment photo, a different photo of the same person)
    "obama@school.test": ("obama.jpg", "obama_2.jpg"),
    "biden@school.test": ("biden.jpg", "biden_2.jpg"),
    "rose@school.test": ("rose_leslie.jpg", "rose_leslie_2.jpg"),
    "kit@school.test": ("kit_harington.jpg", "kit_harington_2.jpg"),
    "alex@school.test": ("alex_lacamoire.jpg", "alex_lacamoire_3.jpg"),
}
STRANGER = "lin_manuel_miranda.png"  # never registered


def photograph(client, teacher, *photos, **extra):
    """mark_class_attendance with these photos (fixture names or bytes) for the START session."""
    email, token = teacher
    files = [(io.BytesIO(p if isinstance(p, bytes) else fixture_bytes(p)), "photo.jpg") for p in photos]
    return post(client, "mark_class_attendance", token, teacher_email_id=email, image_file=files,
                **slot_fields(START), **extra)
