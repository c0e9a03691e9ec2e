"""Check-ins only from school: CHECKIN_NETWORKS refuses a self check-in from elsewhere, before any
face work and without counting toward any limit, unless the session allows remote check-in."""
import ipaddress
import io

import pytest
from sqlalchemy import select

from config import _networks
from models import TEACHER, AttendanceEvent, AttendanceRecord, ClassSession, db
from services import faces
from services.errors import FaceProblem
from services.sessions import within_school
from tests.helpers import NOON, START, assert_error, check_in, create_class, fixture_bytes, slot_fields
from tests.test_kiosk import frame, kiosk
from tests.test_presence import presence_code
from tests.test_terms import schedule

SCHOOL = "10.20.0.0/16, 2001:db8::/32"
INSIDE, OUTSIDE = "10.20.3.4", "203.0.113.9"


@pytest.fixture
def no_face_work(monkeypatch):
    """Records each check-in that reaches the face pipeline, which then finds no face."""
    calls = []

    def stand_in(*args):
        calls.append(args)
        raise FaceProblem("No face (stand-in pipeline).", code="no_face")
    monkeypatch.setattr(faces, "probe_encodings", stand_in)
    return calls


def from_address(client, address):
    client.environ_base["REMOTE_ADDR"] = address
    return client


def unmarked():
    return [r.status for r in db.session.scalars(select(AttendanceRecord))] == [None] and \
        db.session.scalar(select(AttendanceEvent)) is None


@pytest.mark.settings(CHECKIN_NETWORKS=SCHOOL)
def test_a_selfie_from_outside_is_refused_before_face_work_and_counts_toward_no_limit(
        client, teacher, student, at, no_face_work):
    at(NOON)
    create_class(client, teacher)
    from_address(client, OUTSIDE)
    for _ in range(8):  # more than FACE_MISMATCH_LIMIT (5): still 403, never 429
        assert_error(check_in(client, student, photo="no_face.jpg"), 403, "outside_school_network")
    assert no_face_work == [] and unmarked()
    # inside, the same student reaches the face pipeline at once: nothing was counted against them
    response = check_in(from_address(client, INSIDE), student, photo="no_face.jpg")
    assert len(no_face_work) == 1 and response.get_json()["code"] != "outside_school_network"


@pytest.mark.settings(CHECKIN_NETWORKS=SCHOOL)
def test_a_presence_code_check_in_from_outside_is_refused_even_with_the_right_code(
        client, teacher, student, at, no_face_work):
    at(NOON)
    create_class(client, teacher, require_code="1")
    code = presence_code(client, teacher)["presence_code"]
    assert_error(check_in(from_address(client, OUTSIDE), student, presence_code=code), 403,
                 "outside_school_network")
    assert no_face_work == [] and unmarked()


@pytest.mark.face
@pytest.mark.settings(CHECKIN_NETWORKS=SCHOOL)
@pytest.mark.parametrize("address", [INSIDE, "::ffff:10.20.9.9", "2001:db8::5"])
def test_a_selfie_from_inside_the_school_checks_in(client, teacher, student, at, address):
    at(NOON)
    create_class(client, teacher)
    response = check_in(from_address(client, address), student)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["record"]["status"] == "present"


@pytest.mark.settings(CHECKIN_NETWORKS=SCHOOL, TRUSTED_PROXIES=1)
def test_the_address_follows_trusted_proxies(client, teacher, student, at, no_face_work):
    at(NOON)
    create_class(client, teacher)
    email, token = student
    fields = {"email_id": email, "image_file": (io.BytesIO(fixture_bytes("no_face.jpg")), "x.jpg"),
              **slot_fields(START)}

    def send(forwarded):
        return client.post("/api/v1/mark_attendance", data=dict(fields, image_file=(
            io.BytesIO(fixture_bytes("no_face.jpg")), "x.jpg")), content_type="multipart/form-data",
            headers={"Authorization": f"Bearer {token}", "X-Forwarded-For": forwarded})
    from_address(client, "192.0.2.1")  # the proxy's own address, outside the school
    assert_error(send(OUTSIDE), 403, "outside_school_network")
    assert send(INSIDE).get_json()["code"] != "outside_school_network" and len(no_face_work) == 1


@pytest.mark.settings(CHECKIN_NETWORKS=SCHOOL)
def test_without_trusted_proxies_a_forwarded_address_is_ignored(client, teacher, student, at, no_face_work):
    at(NOON)
    create_class(client, teacher)
    email, token = student
    from_address(client, OUTSIDE)
    response = client.post("/api/v1/mark_attendance", data={
        "email_id": email, "image_file": (io.BytesIO(fixture_bytes("no_face.jpg")), "x.jpg"), **slot_fields(START)},
        content_type="multipart/form-data", headers={"Authorization": f"Bearer {token}", "X-Forwarded-For": INSIDE})
    assert_error(response, 403, "outside_school_network")
    assert no_face_work == []


@pytest.mark.settings(CHECKIN_NETWORKS=SCHOOL)
def test_an_online_class_allows_remote_check_in(client, teacher, student, at, no_face_work):
    at(NOON)
    response = create_class(client, teacher, allow_remote="1")
    assert response.get_json()["session"]["allow_remote"] is True
    assert check_in(from_address(client, OUTSIDE), student, photo="no_face.jpg").get_json()["code"] == "no_face"
    assert len(no_face_work) == 1


@pytest.mark.settings(CHECKIN_NETWORKS=SCHOOL)
def test_a_schedule_can_allow_remote_check_in(client, teacher, student, at):
    at(NOON)
    response = schedule(client, teacher, allow_remote="1")
    assert response.status_code == 200, response.get_json()
    assert {s["allow_remote"] for s in response.get_json()["created"]} == {True}
    assert set(db.session.scalars(select(ClassSession.allow_remote))) == {True}
    assert schedule(client, teacher, class_name="Art").get_json()["created"][0]["allow_remote"] is False


def test_without_checkin_networks_a_check_in_comes_from_anywhere(client, teacher, student, at, no_face_work):
    at(NOON)
    create_class(client, teacher)
    assert check_in(from_address(client, OUTSIDE), student, photo="no_face.jpg").get_json()["code"] == "no_face"


@pytest.mark.face
@pytest.mark.settings(CHECKIN_NETWORKS=SCHOOL)
def test_kiosk_and_class_photos_are_the_teacher_s_and_not_restricted(client, make_user, at):
    at(NOON)
    teacher = make_user("teacher@school.test", TEACHER, photo="lin_manuel_miranda.png")
    make_user("obama@school.test", photo="obama.jpg", name="Barack")
    create_class(client, teacher)
    from_address(client, OUTSIDE)
    assert kiosk(client, teacher, frame("obama_2.jpg")).get_json()["status"] == "marked"


def test_the_setting_reads_cidr_ranges_and_refuses_nonsense():
    assert _networks("10.0.0.0/8, 192.168.1.7/24 ,") == ("10.0.0.0/8", "192.168.1.0/24")
    assert _networks(None) == ()
    with pytest.raises(ValueError, match="CIDR"):
        _networks("10.0.0.0/33")
    networks = [ipaddress.ip_network("10.20.0.0/16")]
    assert within_school("10.20.255.1", networks) and within_school("::ffff:10.20.0.1", networks)
    assert not within_school("10.21.0.1", networks) and not within_school("unknown", networks)
    assert not within_school("2001:db8::1", networks)
