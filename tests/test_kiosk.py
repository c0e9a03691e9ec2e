"""The door kiosk (kiosk_check_in): camera frames recognised among one session's roster only."""
import base64
import dataclasses
import io
from datetime import timedelta

import numpy as np
import pytest
from PIL import Image, ImageOps
from sqlalchemy import select

from models import TEACHER, AttendanceEvent, AttendanceRecord, AuditEntry, ClassSession, User, db
from services import faces
from tests.helpers import NOON, START, assert_error, create_class, fixture_bytes, post, slot_fields, \
    stand_in_encoding

ROSTER = {  # on the kiosk's session: email -> (name, enrollment photo)
    "obama@school.test": ("Barack", "obama.jpg"),
    "biden@school.test": ("Joe", "biden.jpg"),
    "rose@school.test": ("Rose", "rose_leslie.jpg"),
}
OUTSIDER = "kit@school.test"  # enrolled, on another session's roster, never on the kiosk's
STRANGER = "lin_manuel_miranda.png"  # never registered as a student


@pytest.fixture
def school(make_user, at, client):
    """A teacher with the kiosk's session (ROSTER) and another session that has the OUTSIDER."""
    at(NOON)
    teacher = make_user("teacher@school.test", TEACHER, photo=STRANGER, name="Ms Teacher")
    for email, (name, photo) in ROSTER.items():
        make_user(email, photo=photo, name=name)
    make_user(OUTSIDER, photo="kit_harington.jpg", name="Kit")
    assert create_class(client, teacher, roster=",".join(ROSTER)).status_code == 200
    assert create_class(client, teacher, roster=OUTSIDER, start=START + timedelta(hours=3)).status_code == 200
    return teacher


def frame(photo):
    """A 640x480 JPEG camera frame showing the fixture photo, letterboxed, as a tablet would send."""
    picture = ImageOps.exif_transpose(Image.open(io.BytesIO(fixture_bytes(photo)))).convert("RGB")
    picture.thumbnail((640, 480), Image.LANCZOS)
    canvas = Image.new("RGB", (640, 480), (90, 90, 90))
    canvas.paste(picture, ((640 - picture.width) // 2, (480 - picture.height) // 2))
    out = io.BytesIO()
    canvas.save(out, "JPEG", quality=85)
    return out.getvalue()


def kiosk(client, teacher, data, start=START, name="Math 101"):
    email, token = teacher
    return post(client, "kiosk_check_in", token, teacher_email_id=email,
                image_file=(io.BytesIO(data), "frame.jpg"), **slot_fields(start, name=name))


def records():
    """email -> (status, method) of the kiosk session's records."""
    rows = db.session.execute(select(User.email, AttendanceRecord.status, AttendanceRecord.method)
                              .join(AttendanceRecord, AttendanceRecord.student_id == User.id)
                              .join(ClassSession, AttendanceRecord.session_id == ClassSession.id)
                              .where(ClassSession.starts_at == START)).all()
    return {r.email: (r.status, r.method) for r in rows}


def audit_entries():
    return db.session.execute(select(AuditEntry.kind, User.email, AuditEntry.session_id, AuditEntry.distance,
                                     AuditEntry.detail)
                              .join(User, AuditEntry.subject_id == User.id).order_by(AuditEntry.id)).all()


UNMARKED = {email: (None, None) for email in ROSTER}


# ---- the real pipeline on real photos ---------------------------------------------------------

@pytest.mark.face
def test_a_roster_student_is_marked_by_the_kiosk_then_already_marked(client, school):
    first = kiosk(client, school, frame("obama_2.jpg"))
    assert first.status_code == 200, first.get_json()
    assert first.get_json() == {"status": "marked", "student_email_id": "obama@school.test", "name": "Barack"}
    assert records() == {**UNMARKED, "obama@school.test": ("present", "kiosk")}
    [event] = db.session.execute(select(AttendanceEvent.method, AttendanceEvent.to_status,
                                        AttendanceEvent.distance)).all()
    assert event.method == "kiosk" and event.to_status == "present" and event.distance < 0.5

    again = kiosk(client, school, frame("obama_2.jpg")).get_json()
    assert again == {"status": "already_marked", "student_email_id": "obama@school.test", "name": "Barack"}
    assert records() == {**UNMARKED, "obama@school.test": ("present", "kiosk")}
    assert len(db.session.scalars(select(AttendanceEvent)).all()) == 1  # the repeat changed nothing

    # the teacher's listing shows how the student was marked
    listing = post(client, "get_class_attendance", school[1], teacher_email_id=school[0],
                   **slot_fields(START)).get_json()
    [obama] = [r for r in listing if r["student_email_id"] == "obama@school.test"]
    assert (obama["status"], obama["method"], obama["attendance_marked"]) == ("present", "kiosk", 1)


@pytest.mark.face
def test_every_recognition_is_audited_like_a_class_photos(client, school):
    kiosk(client, school, frame("biden_2.jpg"))
    kiosk(client, school, frame("biden_2.jpg"))
    session_id = db.session.scalar(select(ClassSession.id).where(ClassSession.starts_at == START))
    entries = audit_entries()
    assert [(e.kind, e.email, e.session_id, e.detail) for e in entries] == [
        ("recognition", "biden@school.test", session_id, '{"method": "kiosk"}')] * 2
    distance = db.session.scalar(select(AttendanceRecord.distance).where(AttendanceRecord.status == "present"))
    assert entries[0].distance == pytest.approx(distance) and distance < 0.5
    actors = set(db.session.scalars(select(AuditEntry.actor_id)))
    assert actors == {db.session.scalar(select(User.id).where(User.email == "teacher@school.test"))}


@pytest.mark.face
def test_an_enrolled_student_off_this_roster_is_unknown_and_not_named(client, school):
    response = kiosk(client, school, frame("kit_harington_2.jpg"))
    assert response.get_json() == {"status": "unknown", "student_email_id": None, "name": None}
    assert "kit" not in response.get_data(as_text=True).lower()
    assert records() == UNMARKED and audit_entries() == []
    # the outsider's own session is untouched too
    assert db.session.scalar(select(AttendanceRecord.status).join(User).where(User.email == OUTSIDER)) is None


@pytest.mark.face
def test_a_frame_without_a_face_answers_no_face(client, school):
    response = kiosk(client, school, frame("no_face.jpg"))
    assert response.status_code == 200
    assert response.get_json() == {"status": "no_face", "student_email_id": None, "name": None}
    assert records() == UNMARKED and audit_entries() == []


@pytest.mark.face
def test_a_base64_png_frame_from_a_canvas_is_accepted(client, school):
    """What a page's canvas.toDataURL("image/png") gives, sent as a form field."""
    png = io.BytesIO()
    Image.open(io.BytesIO(frame("rose_leslie_2.jpg"))).save(png, "PNG")
    email, token = school
    data_url = "data:image/png;base64," + base64.b64encode(png.getvalue()).decode("ascii")
    body = post(client, "kiosk_check_in", token, teacher_email_id=email, image=data_url,
                **slot_fields(START)).get_json()
    assert body == {"status": "marked", "student_email_id": "rose@school.test", "name": "Rose"}


# ---- refusals and rules (no face model: the frame's encoding is given) ------------------------

@pytest.fixture
def encoded_as(monkeypatch):
    """Makes every frame's largest face encode as the given vector (None: no face)."""
    def give(encoding):
        monkeypatch.setattr(faces, "kiosk_encoding", lambda data, max_pixels: encoding)
    return give


def test_a_face_is_compared_with_the_sessions_roster_only(client, school, encoded_as):
    encoded_as(stand_in_encoding("kit_harington.jpg"))  # exactly the outsider's enrolled face
    assert kiosk(client, school, b"frame").get_json() == {"status": "unknown", "student_email_id": None,
                                                          "name": None}
    encoded_as(stand_in_encoding("rose_leslie.jpg"))
    assert kiosk(client, school, b"frame").get_json()["student_email_id"] == "rose@school.test"


def test_a_face_in_the_review_band_marks_and_names_nobody(client, school, encoded_as):
    """Between two roster students, near enough to both: the class photo would ask the teacher,
    the kiosk sends the student to the teacher."""
    between = (stand_in_encoding("obama.jpg") + stand_in_encoding("rose_leslie.jpg")) / 2
    gap = float(np.linalg.norm(stand_in_encoding("obama.jpg") - between))
    rules = client.application.extensions["rollcall_rules"]
    client.application.extensions["rollcall_rules"] = dataclasses.replace(rules, photo_tolerance=gap + 0.01)
    encoded_as(between)
    response = kiosk(client, school, b"frame")
    assert response.get_json() == {"status": "review", "student_email_id": None, "name": None}
    assert records() == UNMARKED and audit_entries() == []


def test_a_status_the_teacher_set_is_kept(client, school, encoded_as):
    email, token = school
    post(client, "set_attendance", token, teacher_email_id=email, student_email_id="obama@school.test",
         status="excused", **slot_fields(START))
    encoded_as(stand_in_encoding("obama.jpg"))
    assert kiosk(client, school, b"frame").get_json()["status"] == "already_marked"
    assert records()["obama@school.test"] == ("excused", "manual")


def test_another_teachers_session_is_refused(client, school, make_user, encoded_as):
    encoded_as(stand_in_encoding("obama.jpg"))
    other = make_user("other@school.test", TEACHER, photo=STRANGER)
    assert_error(kiosk(client, other, b"frame"), 403, "not_yours")
    assert records() == UNMARKED and audit_entries() == []


def test_a_student_cannot_run_the_kiosk(client, school, make_user):
    email, token = make_user("new@school.test")
    assert_error(post(client, "kiosk_check_in", token, teacher_email_id=email,
                      image_file=(io.BytesIO(b"frame"), "frame.jpg"), **slot_fields(START)), 403, "wrong_role")


def test_an_unknown_session_is_not_found(client, school, encoded_as):
    encoded_as(stand_in_encoding("obama.jpg"))
    assert_error(kiosk(client, school, b"frame", start=START + timedelta(days=1)), 404, "no_such_class")


@pytest.mark.parametrize("moment", [START - timedelta(minutes=11), START + timedelta(minutes=61)])
def test_outside_the_check_in_window_is_a_conflict(client, school, encoded_as, at, moment):
    encoded_as(stand_in_encoding("obama.jpg"))
    at(moment)
    assert_error(kiosk(client, school, b"frame"), 409, "not_open")
    assert records() == UNMARKED and audit_entries() == []


def test_the_window_is_the_selfie_check_ins(client, school, encoded_as, at):
    """Open from the grace period before the start to the end, both included."""
    encoded_as(stand_in_encoding("obama.jpg"))
    at(START - timedelta(minutes=10))
    assert kiosk(client, school, b"frame").get_json()["status"] == "marked"
    at(START + timedelta(minutes=60))
    assert kiosk(client, school, b"frame").get_json()["status"] == "already_marked"


def test_a_file_that_is_not_an_image_is_refused_with_415(client, school):
    assert_error(kiosk(client, school, b"GIF89a not really"), 415, "not_an_image")
    assert_error(kiosk(client, school, b"\x00" * 100), 415, "not_an_image")
    assert records() == UNMARKED and audit_entries() == []


def test_a_frame_is_required(client, school):
    email, token = school
    assert_error(post(client, "kiosk_check_in", token, teacher_email_id=email, **slot_fields(START)),
                 400, "missing_field")


@pytest.mark.settings(KIOSK_FRAME_LIMIT="3 per minute")
def test_frames_are_rate_limited_per_session(client, school, encoded_as):
    encoded_as(None)
    assert [kiosk(client, school, b"frame").get_json()["status"] for _ in range(3)] == ["no_face"] * 3
    refused = kiosk(client, school, b"frame")
    assert_error(refused, 429, "too_many_frames")
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    # the same teacher's kiosk at another session's door has its own allowance
    email, token = school
    assert post(client, "create_class", token, teacher_email_id=email, student_email_ids=",".join(ROSTER),
                **slot_fields(START, name="Art")).status_code == 200
    assert kiosk(client, school, b"frame", name="Art").get_json()["status"] == "no_face"


@pytest.mark.settings(KIOSK_FRAME_LIMIT="2 per minute")
def test_refused_calls_take_nothing_from_the_allowance(client, school, encoded_as, make_user):
    encoded_as(None)
    other = make_user("other@school.test", TEACHER, photo=STRANGER)
    for _ in range(3):
        assert_error(kiosk(client, other, b"frame"), 403, "not_yours")
    assert [kiosk(client, school, b"frame").status_code for _ in range(3)] == [200, 200, 429]


def test_the_endpoint_is_in_the_api_document(client):
    document = client.get("/api/v1/openapi.json").get_json()
    operation = document["paths"]["/api/v1/kiosk_check_in"]["post"]
    assert {"200", "403", "404", "409", "415", "429"} <= set(operation["responses"])
    answer = document["components"]["schemas"]["KioskCheckIn"]
    assert answer["properties"]["status"]["enum"] == ["marked", "already_marked", "review", "unknown", "no_face"]
    form = operation["requestBody"]["content"]["multipart/form-data"]["schema"]["properties"]
    assert {"image_file", "class_name", "class_date", "start_time", "end_time", "teacher_email_id"} <= set(form)
