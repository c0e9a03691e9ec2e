"""schemathesis over every operation of /api/v1/openapi.json, against the WSGI app.

Positive and negative inputs; authenticated operations get a valid token of the right role,
and positive inputs mostly name the token's owner, the seeded session and, for photo
operations, sometimes a real fixture photo, so the fuzzer reaches past authentication into
the views and the face pipeline. Checks: no 5xx, and every status, content type and body is
one the document lists. Deselect with -m "not fuzz" (it is marked face too: real photos).
"""
import base64
import os
import zlib
from datetime import datetime

import pytest
import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.core.parameters import ParameterLocation
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (content_type_conformance, response_schema_conformance,
                                               status_code_conformance)

import models
import routes.declarations as d
from app import create_app
from models import STUDENT, TEACHER, db
from services import auth, clock
from tests import helpers

pytestmark = [pytest.mark.fuzz, pytest.mark.face]

# Per operation and phase: about two minutes for the whole API on a busy 2-core machine.
# FUZZ_EXAMPLES and FUZZ_SEED dig deeper or elsewhere locally.
MAX_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "40"))
NOW = datetime(2026, 3, 2, 9, 30)  # inside the examples' session: 2026-03-02 09:00-10:00
CONFIG = f"""
seed = {int(os.environ.get("FUZZ_SEED", "1201"))}
suppress-health-check = ["all"]
[generation]
mode = "all"
max-examples = {MAX_EXAMPLES}
database = "none"
[phases.stateful]
enabled = false
"""
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def world(app, make_user, it):
    """The test app (conftest's settings, emptied afterwards) with the accounts and the session
    the document's examples name, and an administrator; one per operation, so operations do
    not see each other's."""
    teacher = make_user(d.TEACHER_EMAIL, TEACHER, "biden.jpg", "Ms Teacher")
    student = make_user(d.STUDENT_EMAIL, STUDENT, "obama.jpg", "Barack")
    make_user("rose@school.test", STUDENT, "rose_leslie.jpg", "Rose")
    helpers.make_session(d.TEACHER_EMAIL, [d.STUDENT_EMAIL, "rose@school.test"],
                         starts=datetime(2026, 3, 2, 9, 0), minutes=60, name="Math 101")
    return app, {"teacher": teacher, "student": student, "admin": it}, {}


def _document():
    """The document as a client fetches it; no database is touched to serve it."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "test", "FACE_KEY": helpers.FACE_KEY, "TESTING": True})
    return app.test_client().get("/api/v1/openapi.json").get_json()


# Loaded at import (schemathesis's lazy fixture loader does not run on this pytest); the
# calls go to the world's app.
schema = schemathesis.openapi.from_dict(_document(), config=SchemathesisConfig.from_str(CONFIG))

REAL_PHOTOS = 4  # per operation: the real face pipeline costs up to a second a photo
PHOTOS = {"student": "obama_2.jpg", "teacher": "biden.jpg", None: "rose_leslie.jpg"}


def _pick(case, salt, out_of):
    """A choice that depends only on the generated case, so a failure replays the same way."""
    return zlib.crc32(repr((case.body, salt)).encode()) % out_of == 0


def _owner(world, role, case):
    """(role, (email, token)) of a seeded account for the operation; None for a role nobody has."""
    _, accounts, _ = world
    if role == "any account":
        role = "teacher" if _pick(case, "role", 2) else "student"
    return (role, accounts[role]) if role in accounts else None


def _prepare(case, world):
    app, _, photos_sent = world
    definition = case.operation.definition.raw
    role = definition.get("x-role")
    body = case.body if isinstance(case.body, dict) else None
    positive = body is not None and not (case.meta and case.meta.is_negative_at(ParameterLocation.BODY))
    owner = _owner(world, role, case) if role else None
    if owner:
        role, (email, token) = owner
        if case.operation.path.endswith("/logout"):  # revoke a fresh token, never the shared one
            with app.app_context():
                user = db.session.scalar(db.select(models.User).where(models.User.email == email))
                token, _ = auth.issue_token(user, 3600)
                db.session.commit()
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {token}"}
        if positive and not _pick(case, "stranger", 4):
            body[definition["x-owner-field"]] = email
    if positive and "class_name" in body and _pick(case, "session", 2):
        body.update({f.name: f.example for f in d.SLOT})
    sent = photos_sent.get(case.operation.path, 0)
    if positive and "image_file" in body and sent < REAL_PHOTOS and _pick(case, "photo", 3):
        photos_sent[case.operation.path] = sent + 1
        photo = helpers.fixture_bytes(PHOTOS.get(role, PHOTOS[None]))
        if case.media_type == "multipart/form-data":
            body["image_file"] = [photo] if isinstance(body["image_file"], list) else photo
        else:
            body["image_file"] = base64.b64encode(photo).decode()


@schema.parametrize()
def test_every_operation_answers_as_documented(case, world, monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: NOW.replace(tzinfo=clock.timezone.utc))
    _prepare(case, world)
    case.call_and_validate(app=world[0], checks=CHECKS)
