"""The original att-sejal web client's requests, replayed exactly, under ERROR_STATUS=200.

What the client sends (its Angular source): multipart FormData; the webcam photo as `image`, a
bare base64 JPEG with no data-URL prefix; `passwd_hash` as the MD5 hex of the password;
`email_id` and `name` in place of the documented names; `token` as a form field; the roster
as "a, b, c". It shows `res.ERROR` only on a 200, so every refusal here must be a 200 with
its ERROR text and code. The real face pipeline runs throughout.
"""
import base64
import hashlib
from datetime import timedelta

import pytest

from tests.helpers import NOON, START, fixture_bytes, slot_fields

pytestmark = pytest.mark.face

PASSWORD_MD5 = hashlib.md5(b"correct horse").hexdigest()
TEACHER, ROSE, KIT, OBAMA = "joe@school.test", "rose@school.test", "kit@school.test", "barack@school.test"
TODAY = slot_fields(START, name="COP4600")
TOMORROW = slot_fields(START + timedelta(days=1), name="COP4600")


@pytest.fixture
def settings(settings):
    # what the README's section on the original client sets: refusals at 200, open sign-up
    return {**settings, "ERROR_STATUS": "200", "TEACHER_SIGNUP": "open"}


def webcam(photo):
    """ngx-webcam's imageAsBase64: the JPEG's base64, no prefix."""
    return base64.b64encode(fixture_bytes(photo)).decode()


def send(client, path, **form):
    """What the client's this.http.post(basePath + path, body) sends: multipart, no auth header."""
    response = client.post(f"/api/v1/{path}", data=form, content_type="multipart/form-data")
    assert response.status_code == 200, (path, response.status_code, response.get_data(as_text=True)[:300])
    return response.get_json()


def refused(body, code, says):
    """A refusal as the client shows it: toastr.error(res.ERROR)."""
    assert isinstance(body, dict) and set(body) == {"ERROR", "code"}, body
    assert body["code"] == code and says in body["ERROR"], body


def accepted(body):
    assert not (isinstance(body, dict) and "ERROR" in body), body
    return body


class Browser:
    """One user's localStorage: email_id and token, sent with every call as the client does."""

    def __init__(self, client, email, token):
        self.client, self.email, self.token = client, email, token

    def call(self, path, **form):
        return send(self.client, path, email_id=self.email, token=self.token, **form)


def register(client, path, email, name, photo):
    body = accepted(send(client, path, email_id=email, passwd_hash=PASSWORD_MD5, name=name, image=webcam(photo)))
    return Browser(client, body["email_id"], body["token"])


@pytest.fixture
def client_school(client, at):
    at(NOON)
    joe = register(client, "register_teacher", TEACHER, "Joe", "biden.jpg")
    rose = register(client, "register_student", ROSE, "Rose", "rose_leslie.jpg")
    obama = register(client, "register_student", OBAMA, "Barack", "obama.jpg")
    created = accepted(joe.call("create_class", **TODAY, student_email_ids=f"{ROSE}, {KIT}"))
    assert created["invited_student_email_ids"] == [KIT] and "when they enroll" in created["SUCCESS"]
    accepted(joe.call("create_class", **TOMORROW, student_email_ids=f"{ROSE}, {KIT}"))
    return joe, rose, obama


def test_accounts_and_their_refusals(client, client_school):
    joe, rose, _ = client_school
    refused(send(client, "register_student", email_id=ROSE, passwd_hash=PASSWORD_MD5, name="Rose",
                 image=webcam("rose_leslie.jpg")), "email_taken", "already exists")
    refused(send(client, "register_student", email_id="nobody@school.test", passwd_hash=PASSWORD_MD5,
                 name="Nobody", image=webcam("no_face.jpg")), "no_face", "No face")
    refused(send(client, "register_student", email_id="two@school.test", passwd_hash=PASSWORD_MD5,
                 name="Two", image=webcam("obama_biden.jpg")), "multiple_faces", "2 faces")  # a 650 kB field
    refused(send(client, "login_teacher", email_id=TEACHER, passwd_hash=hashlib.md5(b"wrong").hexdigest()),
            "bad_credentials", "Wrong email or password")
    logged_in = accepted(send(client, "login_student", email_id=ROSE, passwd_hash=PASSWORD_MD5))
    assert logged_in["email_id"] == ROSE and logged_in["user_type"] == 0
    refused(send(client, "get_student_stats", email_id=ROSE, token="stale"), "token_invalid", "log in again")
    refused(rose.call("get_classes_by_teacher"), "wrong_role", "Only teachers")
    refused(send(client, "get_student_stats", email_id=TEACHER, token=rose.token), "not_yours", "another account")
    refused(send(client, "no_such_endpoint", email_id=ROSE), "not_found", "not found")


def test_class_creation_and_check_in_refusals(client, client_school):
    joe, rose, obama = client_school
    refused(joe.call("create_class", **TODAY, student_email_ids=ROSE), "class_exists", "already exists")
    refused(rose.call("mark_attendance", **TODAY, image=webcam("kit_harington.jpg")), "face_mismatch",
            "does not match your enrolled face")
    accepted(rose.call("mark_attendance", **TODAY, image=webcam("rose_leslie_2.jpg")))
    refused(rose.call("mark_attendance", **TODAY, image=webcam("rose_leslie_2.jpg")), "already_marked",
            "already recorded")
    refused(rose.call("mark_attendance", **TOMORROW, image=webcam("rose_leslie_2.jpg")), "not_open",
            "opens at 2026-03-03 11:45")
    refused(obama.call("mark_attendance", **TODAY, image=webcam("obama_2.jpg")), "not_on_roster",
            "not on the roster")
    refused(obama.call("mark_attendance", **slot_fields(START, name="Nope"), image=webcam("obama_2.jpg")),
            "no_such_class", "no class session")
    refused(rose.call("mark_attendance", **TODAY), "missing_field", "Attach a photo")


def test_a_late_registrant_checks_in(client, client_school):
    joe, _, _ = client_school
    kit = register(client, "register_student", KIT, "Kit", "kit_harington.jpg")  # after the roster named him
    marked = accepted(kit.call("mark_attendance", **TODAY, image=webcam("kit_harington_2.jpg")))
    assert marked["record"]["student_email_id"] == KIT and marked["record"]["attendance_marked"] == 1
    today = {r["student_email_id"]: r["attendance_marked"] for r in accepted(
        joe.call("get_class_attendance", **TODAY, name="Joe"))}
    assert today == {KIT: 1, ROSE: 0}
    stats = accepted(kit.call("get_student_stats"))
    assert (stats["present"], stats["absent"], stats["total"]) == (1, 0, 1)


def test_latest_class_with_a_future_session_present(client, client_school):
    joe, rose, _ = client_school
    accepted(rose.call("mark_attendance", **TODAY, image=webcam("rose_leslie_2.jpg")))
    latest = accepted(joe.call("get_latest_class_by_teacher"))  # the header cards: today's, not tomorrow's
    assert [(r["class_date"], r["student_email_id"], r["attendance_marked"]) for r in latest] == [
        ("2026-03-02", ROSE, 1)]


def test_update_roster_in_both_scopes(client, client_school):
    joe, rose, obama = client_school
    accepted(rose.call("mark_attendance", **TODAY, image=webcam("rose_leslie_2.jpg")))
    upcoming = accepted(joe.call("update_roster", **TODAY, add_student_email_ids=f"{OBAMA}, alex@school.test",
                                 scope="upcoming"))
    assert [s["added"] for s in upcoming["sessions"]] == [[OBAMA], [OBAMA]]
    assert upcoming["invited_student_email_ids"] == ["alex@school.test"]
    accepted(obama.call("mark_attendance", **TODAY, image=webcam("obama_2.jpg")))
    refused(joe.call("update_roster", **TODAY, remove_student_email_ids=ROSE), "record_marked",
            "already marked present")
    removed = accepted(joe.call("update_roster", **TODAY, remove_student_email_ids=ROSE, force="1"))
    assert removed["sessions"][0]["removed"] == [ROSE]
    today = {r["student_email_id"]: r["status"] for r in accepted(joe.call("get_class_attendance", **TODAY))}
    assert today == {OBAMA: "present", KIT: "not_enrolled", "alex@school.test": "not_enrolled"}
    tomorrow = {r["student_email_id"]: r["status"] for r in accepted(joe.call("get_class_attendance", **TOMORROW))}
    assert tomorrow == {OBAMA: "pending", ROSE: "pending", KIT: "not_enrolled", "alex@school.test": "not_enrolled"}


def test_the_dashboards_read_what_they_expect(client, client_school):
    joe, rose, _ = client_school
    accepted(rose.call("mark_attendance", **TODAY, image=webcam("rose_leslie_2.jpg")))
    per_session = accepted(joe.call("get_present_absent_classes_by_teacher"))
    assert per_session["COP4600|2026-03-02"]["present"] == 1 and per_session["COP4600|2026-03-02"]["total"] == 1
    assert [t["email_id"] for t in accepted(joe.call("get_attendance_time_records"))] == [ROSE]
    assert f"{ROSE}|COP4600" in accepted(joe.call("get_student_class_record"))
    every = accepted(joe.call("get_classes_by_teacher"))
    assert {(r["class_date"], r["student_email_id"]) for r in every} == {
        ("2026-03-02", ROSE), ("2026-03-02", KIT), ("2026-03-03", ROSE), ("2026-03-03", KIT)}
    stats = accepted(rose.call("get_student_stats"))
    assert stats["present"] + stats["absent"] == stats["total"] == 1  # the cards add up
    assert [r["marked"] for r in accepted(rose.call("get_student_class_attd_stat"))] == [0, 1]
