"""Online key rotation (issue 27, finding 4): FACE_KEY's file is a key ring that running
servers follow, so `privacy rotate-key` runs while students register and check in and nothing
answers 503 in between; a second rotation works too; the key file is never readable by
others; and a template no key opens skips that face, never the whole class photo."""
import dataclasses
import io
import threading

import numpy as np
import pytest
from sqlalchemy import select, update

from app import create_app
from models import TEACHER, FaceEncoding, User, db
from services import faces, sealing
from tests.helpers import FACE_KEY, NOON, PASSWORD, check_in, create_class, photograph, post

STUDENTS = 120


@pytest.fixture
def ring_file(tmp_path):
    path = tmp_path / "face_key"
    path.write_text(FACE_KEY + "\n")
    path.chmod(0o600)
    return path


@pytest.fixture
def server(app, ring_file):
    """The test's app as a running server that follows the key file (its own ring object)."""
    app.config["FACE_KEY_FILE"] = str(ring_file)
    app.extensions["rollcall_rules"] = dataclasses.replace(app.extensions["rollcall_rules"],
                                                           face_key=sealing.KeyRing(path=str(ring_file)))
    return app


def command_line(settings, ring_file):
    """`flask --app app ...` in another process: an app of its own on the same file and database."""
    return create_app({**settings, "FACE_KEY_FILE": str(ring_file)})


# registrations run from one address for as long as the rotations take, which on a slow machine
# is more than the default limit allows
@pytest.mark.settings(REGISTRATION_LIMIT="100000 per 10 minutes")
def test_rotation_while_students_register_and_check_in_fails_nothing(server, settings, ring_file, make_user, at,
                                                                      monkeypatch):
    at(NOON)
    teacher = make_user("teacher@school.test", TEACHER)
    students = [make_user(f"s{i}@school.test") for i in range(STUDENTS)]
    assert create_class(server.test_client(), teacher,
                        roster=",".join(email for email, _ in students)).status_code == 200
    # the face pipeline is not what is tested: every selfie verifies, every photo enrolls at once;
    # the templates are still unsealed, each with the key its header names
    monkeypatch.setattr(faces, "enrollment_encoding", lambda data, max_pixels: np.full(128, 0.01))
    monkeypatch.setattr(faces, "probe_encodings", lambda data, max_pixels: [np.full(128, 0.01)])
    monkeypatch.setattr(faces, "verify", lambda probes, known: 0.1 if len(known) else 1.0)

    statuses, lock, rotated = [], threading.Lock(), threading.Event()
    counter = iter(range(10_000))

    def traffic():
        client = server.test_client()
        while not rotated.is_set():
            with lock:
                n = next(counter)
            if n % 2:
                response = post(client, "register_student", email_id=f"new{n}@school.test", name="New",
                                passwd_hash=PASSWORD, image_file=(io.BytesIO(b"photo"), "p.jpg"))
            else:
                response = check_in(client, students[n // 2 % STUDENTS])
            with lock:
                statuses.append((response.status_code, response.get_json().get("code")))

    threads = [threading.Thread(target=traffic) for _ in range(4)]
    for thread in threads:
        thread.start()
    for _ in range(2):  # twice: a second rotation on the first one's ring
        result = command_line(settings, ring_file).test_cli_runner().invoke(args=["privacy", "rotate-key"])
        assert result.exit_code == 0, result.output
    rotated.set()
    for thread in threads:
        thread.join()
    assert statuses and all(status in (200, 409) for status, _ in statuses), \
        sorted({s for s in statuses if s[0] not in (200, 409)})  # 409: already marked by an earlier round
    # every template opens with the ring in the file, and the file is the new key and the one it replaced
    keys = sealing.parse_ring(ring_file.read_text())
    assert len(keys) == 2 and bytes.fromhex(FACE_KEY) not in keys
    assert ring_file.stat().st_mode & 0o777 == 0o600
    db.session.expire_all()
    for owner, raw in db.session.execute(select(FaceEncoding.user_id, FaceEncoding.encoding)):
        sealing.unseal(sealing.KeyRing(keys), owner, raw)
    assert db.session.scalars(select(User.email).where(User.email.like("new%"))).first()  # registered meanwhile


def test_a_server_seals_under_the_newest_key_of_the_file_without_restart(server, settings, ring_file, make_user,
                                                                          monkeypatch):
    monkeypatch.setattr(faces, "enrollment_encoding", lambda data, max_pixels: np.full(128, 0.01))
    result = command_line(settings, ring_file).test_cli_runner().invoke(args=["privacy", "rotate-key"])
    assert result.exit_code == 0, result.output
    newest = sealing.parse_ring(ring_file.read_text())[0]
    response = post(server.test_client(), "register_student", email_id="late@school.test", name="Late",
                    passwd_hash=PASSWORD, image_file=(io.BytesIO(b"photo"), "p.jpg"))
    assert response.status_code == 200, response.get_json()
    raw = db.session.scalar(select(FaceEncoding.encoding).join(User).where(User.email == "late@school.test"))
    assert sealing.sealed_key_id(raw) == sealing.key_id(newest)


@pytest.mark.face
def test_a_template_no_key_opens_skips_that_face_not_the_class(client, make_user, at):
    at(NOON)
    teacher = make_user("teacher@school.test", TEACHER, photo="lin_manuel_miranda.png")
    make_user("obama@school.test", photo="obama.jpg")
    make_user("biden@school.test", photo="biden.jpg")
    create_class(client, teacher, roster="obama@school.test,biden@school.test")
    biden = db.session.scalar(select(User.id).where(User.email == "biden@school.test"))
    lost_key = bytes(range(32))  # sealed under a key the ring never held
    db.session.execute(update(FaceEncoding).where(FaceEncoding.user_id == biden)
                       .values(encoding=sealing.seal(lost_key, biden, faces.to_bytes(np.zeros(128)))))
    db.session.commit()
    response = photograph(client, teacher, "obama_biden.jpg")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["present"] == ["obama@school.test"] and body["unreadable_faces"] == ["biden@school.test"]
