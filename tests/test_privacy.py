"""Privacy and trust (issue 8): who may identify whom, accounts, a student's own data, audit."""
import dataclasses
import io
from datetime import timedelta

import numpy as np
import pytest
from sqlalchemy import func, select

import config
from models import TEACHER, AttendanceRecord, AuditEntry, Base, ClassSession, FaceEncoding, Token, User, db
from services import auth, faces, sealing, sessions
from services.faces.detection import Box
from tests.helpers import (FACE_KEY, NOON, PASSWORD, START, assert_error, check_in, create_class, fixture_bytes,
                           make_session, photograph, post, slot_fields, stand_in_encoding)


def test_students_see_which_teacher_owns_each_record(client, make_user, at):
    at(NOON)
    teacher = make_user("teacher@school.test", TEACHER, name="Ms Teacher")
    email, token = make_user("obama@school.test", name="Barack")
    create_class(client, teacher, roster=email)
    [record] = post(client, "get_pending_attendance", token, student_email_id=email).get_json()
    assert record["teacher_email_id"] == "teacher@school.test" and record["teacher_name"] == "Ms Teacher"
    profile = post(client, "get_profile", token, email_id=email).get_json()
    assert profile["teachers"] == [{"email_id": "teacher@school.test", "name": "Ms Teacher"}]


# ---- a person's own data: erasure, export, retention ------------------------------------

def count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def rows_holding(*needles, blob=None):
    """(table, row) of every row in every table with one of the texts (any case) or the bytes."""
    found = []
    for table in Base.metadata.sorted_tables:
        for row in db.session.execute(select(table)).all():
            for value in row:
                if isinstance(value, str) and any(n.lower() in value.lower() for n in needles):
                    found.append((table.name, row))
                if blob is not None and isinstance(value, bytes) and blob in value:
                    found.append((table.name, row))
    return found


def _class_of_three(client, make_user, at, teacher):
    """Past and current sessions of a teacher with obama, rose and kit; obama present once, noted."""
    at(NOON)
    for email, name, photo in (("obama@school.test", "Barack Obama", "obama.jpg"),
                               ("rose@school.test", "Rose", "rose_leslie.jpg"),
                               ("kit@school.test", "Kit", "kit_harington.jpg")):
        make_user(email, name=name, photo=photo)
    roster = "obama@school.test,rose@school.test,kit@school.test"
    create_class(client, teacher, roster=roster, start=START - timedelta(days=7))
    create_class(client, teacher, roster=roster)
    t_email, t_token = teacher
    post(client, "set_attendance", t_token, teacher_email_id=t_email, student_email_id="obama@school.test",
         status="present", note="Barack Obama came late", **slot_fields(START - timedelta(days=7)))
    post(client, "set_attendance", t_token, teacher_email_id=t_email, student_email_id="rose@school.test",
         status="excused", **slot_fields(START - timedelta(days=7)))


def _counts(client, teacher):
    email, token = teacher
    return (post(client, "get_present_absent_classes_by_teacher", token, teacher_email_id=email).get_json(),
            post(client, "get_student_class_record", token, teacher_email_id=email).get_json())


def test_deleting_a_student_account_leaves_no_row_naming_them_and_counts_unchanged(client, make_user, at, teacher):
    _class_of_three(client, make_user, at, teacher)
    before_sessions, before_students = _counts(client, teacher)
    template = db.session.scalar(select(FaceEncoding.encoding).join(User).where(User.email == "obama@school.test"))
    token = auth.issue_token(db.session.scalar(select(User).where(User.email == "obama@school.test")), 60)[0]
    db.session.commit()
    assert rows_holding("obama@school.test", "Barack Obama", blob=template)
    wrong = post(client, "delete_my_account", token, email_id="obama@school.test", passwd_hash="guess")
    assert_error(wrong, 401, "bad_credentials")
    response = post(client, "delete_my_account", token, email_id="obama@school.test", passwd_hash=PASSWORD)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["attendance"] == "pseudonymised" and response.get_json()["records"] == 2
    assert rows_holding("obama@school.test", "Barack Obama", "obama", blob=template) == []
    assert count(Token) == 1 + 2  # the teacher's and the other two students'
    after_sessions, after_students = _counts(client, teacher)
    assert after_sessions == before_sessions
    assert sorted(after_students.values(), key=str) == sorted(before_students.values(), key=str)
    assert any(key.startswith("erased-student-") for key in after_students)
    assert_error(post(client, "get_profile", token, email_id="obama@school.test"), 401, "token_invalid")
    assert_error(post(client, "login_student", email_id="obama@school.test", passwd_hash=PASSWORD),
                 401, "bad_credentials")
    [entry] = db.session.scalars(select(AuditEntry).where(AuditEntry.kind == "erase.account")).all()
    assert entry.actor_id == entry.subject_id and "obama" not in (entry.detail or "").lower()


@pytest.mark.settings(ERASE_ATTENDANCE=True)
def test_erase_attendance_deletes_the_students_records(client, make_user, at, teacher, it):
    _class_of_three(client, make_user, at, teacher)
    response = post(client, "admin_erase_user", it[1], email_id="it@school.test",
                    user_email_id="obama@school.test", user_type="0")
    assert response.status_code == 200 and response.get_json()["attendance"] == "deleted"
    assert count(AttendanceRecord) == 4
    assert rows_holding("obama@school.test", "Barack Obama") == []


def test_a_deleted_teachers_sessions_stay_until_transferred(client, make_user, at, teacher, it):
    _class_of_three(client, make_user, at, teacher)
    records_before = count(AttendanceRecord)
    email, token = teacher
    assert post(client, "delete_my_account", token, email_id=email, passwd_hash=PASSWORD).status_code == 200
    assert count(AttendanceRecord) == records_before and count(ClassSession) == 2
    assert rows_holding("teacher@school.test", "Ms Teacher") == []
    student_token = auth.issue_token(db.session.scalar(select(User).where(User.email == "rose@school.test")), 60)[0]
    db.session.commit()
    listing = post(client, "get_missed_attendance", student_token, student_email_id="rose@school.test").get_json()
    profile = post(client, "get_profile", student_token, email_id="rose@school.test").get_json()
    placeholder = profile["teachers"][0]["email_id"]
    assert profile["teachers"] == [{"email_id": placeholder, "name": "former teacher"}]
    assert placeholder.startswith("former-teacher-") and placeholder.endswith("@erased.invalid")
    assert listing == [] or listing[0]["teacher_name"] == "former teacher"
    successor = make_user("new@school.test", TEACHER, name="Mr New")
    moved = post(client, "admin_transfer_sessions", it[1], email_id="it@school.test",
                 from_email_id=placeholder, to_email_id="new@school.test")
    assert moved.status_code == 200 and moved.get_json()["sessions"] == 2
    records = post(client, "get_classes_by_teacher", successor[1], teacher_email_id="new@school.test").get_json()
    assert len(records) == records_before and {r["teacher_name"] for r in records} == {"Mr New"}
    assert_error(post(client, "admin_transfer_sessions", it[1], email_id="it@school.test",
                      from_email_id="new@school.test", to_email_id="new@school.test"), 409, "same_teacher")
    assert_error(post(client, "admin_transfer_sessions", it[1], email_id="it@school.test",
                      from_email_id="nobody@school.test", to_email_id="new@school.test"), 404, "no_such_user")


def test_export_lists_exactly_the_callers_data(client, make_user, at, teacher):
    _class_of_three(client, make_user, at, teacher)
    token = auth.issue_token(db.session.scalar(select(User).where(User.email == "obama@school.test")), 60)[0]
    db.session.commit()
    response = post(client, "export_my_data", token, email_id="obama@school.test")
    assert response.status_code == 200
    body = response.get_json()
    assert body["profile"]["email_id"] == "obama@school.test" and body["profile"]["name"] == "Barack Obama"
    assert body["faces"]["count"] == 1 and body["faces"]["templates_included"] is False
    assert [f["source"] for f in body["faces"]["enrollments"]] == ["enrollment"]
    assert {r["student_email_id"] for r in body["records"]} == {"obama@school.test"} and len(body["records"]) == 2
    assert {r["teacher_name"] for r in body["records"]} == {"Ms Teacher"}
    assert [(h["by"], h["to_status"], h["note"]) for h in body["history"]] == [
        ("teacher@school.test", "present", "Barack Obama came late")]
    assert body["teachers"] == [{"email_id": "teacher@school.test", "name": "Ms Teacher"}]
    text = response.get_data(as_text=True)
    assert "rose" not in text and "kit@" not in text and "encoding" not in text
    email, t_token = teacher
    mine = post(client, "export_my_data", t_token, email_id=email).get_json()
    assert [s["roster_size"] for s in mine["sessions"]] == [3, 3] and mine["records"] == []
    assert_error(post(client, "export_my_data", t_token, email_id="obama@school.test"), 403, "not_yours")


def test_own_data_endpoint_errors_change_nothing(client, teacher, student):
    t_email, t_token = teacher
    s_email, s_token = student
    assert_error(post(client, "delete_my_faces", t_token, email_id=t_email), 403, "wrong_role")
    assert_error(post(client, "delete_my_faces", s_token, email_id="other@school.test"), 403, "not_yours")
    assert_error(post(client, "delete_my_faces", email_id=s_email), 401, "token_missing")
    assert_error(post(client, "delete_my_account", s_token, email_id=s_email), 400, "missing_field")
    assert_error(post(client, "delete_my_account", s_token, email_id=t_email, passwd_hash=PASSWORD),
                 403, "not_yours")
    assert_error(post(client, "export_my_data", s_token), 400, "missing_field")
    assert_error(post(client, "export_my_data", email_id=s_email), 401, "token_missing")
    assert_error(post(client, "get_my_audit", t_token, email_id=t_email), 403, "wrong_role")
    assert_error(post(client, "get_my_audit", s_token, email_id="other@school.test"), 403, "not_yours")
    assert count(FaceEncoding) == 2 and count(AuditEntry) == 0
    assert {u.status for u in db.session.scalars(select(User))} == {"active"}


def test_delete_my_faces_then_check_in_needs_a_face_again(client, teacher, student, at):
    at(NOON)
    create_class(client, teacher)
    s_email, s_token = student
    erased = post(client, "delete_my_faces", s_token, email_id=s_email)
    assert erased.status_code == 200 and erased.get_json()["faces_enrolled"] == 0
    assert db.session.scalar(select(func.count()).where(FaceEncoding.user_id == User.id, User.email == s_email)) == 0
    assert_error(check_in(client, student), 409, "no_face_enrolled")
    profile = post(client, "get_profile", s_token, email_id=s_email).get_json()
    assert profile["faces_enrolled"] == 0 and profile["status"] == "active"


@pytest.mark.face
def test_my_faces_says_how_many_and_when_and_exports_nothing(client, teacher, student, at):
    at(NOON)
    email, token = student
    added = post(client, "add_face", token, email_id=email, image_file=(io.BytesIO(fixture_bytes("obama_2.jpg")),
                                                                         "obama_2.jpg"))
    assert added.status_code == 200
    mine = post(client, "get_my_faces", token, email_id=email).get_json()
    assert (mine["count"], mine["most"]) == (2, 10)
    assert [f["source"] for f in mine["enrollments"]] == ["enrollment", "add_face"]
    assert mine["enrollments"][1]["enrolled_at"].startswith(NOON.date().isoformat())
    assert count(AuditEntry) == 0  # reading them is not an export of the student's data
    assert_error(post(client, "get_my_faces", teacher[1], email_id=teacher[0]), 403, "wrong_role")
    assert_error(post(client, "get_my_faces", token, email_id="other@school.test"), 403, "not_yours")


def test_privacy_purge_erases_exactly_the_stale_templates(app, client, make_user, at):
    at(NOON - timedelta(days=400))
    make_user("old@school.test")  # enrolled long ago, never seen since
    seen = make_user("seen@school.test")
    make_user("recognised@school.test")
    teacher = make_user("t@school.test", TEACHER)  # teachers' faces are not students' biometric register
    at(NOON - timedelta(days=10))
    post(client, "login_student", email_id=seen[0], passwd_hash=PASSWORD)
    make_user("new@school.test")
    make_session(teacher[0], ["recognised@school.test"], starts=NOON - timedelta(days=10))
    record = db.session.scalar(select(AttendanceRecord))
    sessions.mark_present(record.id, record.student, "selfie", 0.3)
    db.session.commit()
    at(NOON)
    runner = app.test_cli_runner()
    assert "nothing erased" in runner.invoke(args=["privacy", "purge"]).output
    app.config["FACE_RETENTION_DAYS"] = 365
    output = runner.invoke(args=["privacy", "purge"]).output
    assert "erased the faces of old@school.test" in output and "1 students' faces erased" in output
    left = set(db.session.scalars(select(User.email).join(FaceEncoding)))
    assert left == {"seen@school.test", "recognised@school.test", "t@school.test", "new@school.test"}
    assert "0 students' faces erased" in runner.invoke(args=["privacy", "purge"]).output


def test_users_erase_and_transfer_commands(app, client, make_user, at, teacher):
    _class_of_three(client, make_user, at, teacher)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "erase", "teacher@school.test"])
    assert result.exit_code == 0 and "former-teacher-" in result.output
    placeholder = result.output.split("now ")[1].split(":")[0]
    make_user("new@school.test", TEACHER)
    moved = runner.invoke(args=["users", "transfer-sessions", placeholder, "new@school.test"])
    assert moved.exit_code == 0 and "2 sessions" in moved.output
    again = runner.invoke(args=["users", "erase", placeholder])
    assert again.exit_code != 0 and "already_erased" in again.output


@pytest.mark.face
def test_after_delete_my_faces_class_photos_no_longer_recognise_the_student(client, make_user, at):
    at(NOON)
    teacher = make_user("teacher@school.test", TEACHER, photo="lin_manuel_miranda.png")
    obama = make_user("obama@school.test", photo="obama.jpg")
    make_user("biden@school.test", photo="biden.jpg")
    create_class(client, teacher, roster="obama@school.test,biden@school.test")
    assert post(client, "delete_my_faces", obama[1], email_id=obama[0]).status_code == 200
    body = photograph(client, teacher, "obama_biden.jpg").get_json()
    assert sorted(f["status"] for f in body["faces"]) == ["matched", "unknown"]
    assert body["present"] == ["biden@school.test"] and body["needs_review"] == []


# ---- templates sealed at rest -------------------------------------------------------------

def test_templates_are_sealed_at_rest(make_user):
    make_user("obama@school.test", photo="obama.jpg")
    make_user("rose@school.test", photo="rose_leslie.jpg")
    (obama_id, obama_raw), (rose_id, _) = db.session.execute(
        select(FaceEncoding.user_id, FaceEncoding.encoding).order_by(FaceEncoding.user_id)).all()
    plain = faces.to_bytes(stand_in_encoding("obama.jpg"))
    assert len(obama_raw) == 1 + 4 + 12 + len(plain) + 16
    assert plain not in obama_raw and plain[:64] not in obama_raw  # not the float array, nor a slice of it
    assert not np.allclose(np.frombuffer(obama_raw[:1024], dtype=np.float64), stand_in_encoding("obama.jpg"),
                           equal_nan=True)
    key = bytes.fromhex(FACE_KEY)
    assert sealing.unseal(key, obama_id, obama_raw) == plain
    with pytest.raises(sealing.KeyMismatch):
        sealing.unseal(bytes(32), obama_id, obama_raw)  # a copy of the database without the key
    with pytest.raises(sealing.KeyMismatch):
        sealing.unseal(key, rose_id, obama_raw)  # moved onto another account's row



def test_check_in_under_the_wrong_key_is_refused_and_marks_nothing(app, client, make_user, at):
    at(NOON)
    teacher = make_user("teacher@school.test", TEACHER)
    student = make_user("obama@school.test")
    create_class(client, teacher)
    app.extensions["rollcall_rules"] = dataclasses.replace(app.extensions["rollcall_rules"], face_key=bytes(32))
    assert_error(check_in(client, student), 503, "face_key_mismatch")
    assert db.session.scalar(select(AttendanceRecord.status)) is None


@pytest.mark.face
def test_check_in_works_after_key_rotation(app, client, make_user, at, tmp_path, monkeypatch):
    at(NOON)
    teacher = make_user("teacher@school.test", TEACHER, photo="biden.jpg")
    student = make_user("obama@school.test", photo="obama.jpg")
    create_class(client, teacher)
    before = db.session.scalar(select(FaceEncoding.encoding).join(User).where(User.email == student[0]))
    new_key = "ab" * 32
    runner = app.test_cli_runner()
    result = runner.invoke(args=["privacy", "rotate-key", "--new-key-stdin"], input=new_key + "\n")
    assert result.exit_code == 0 and "2 face templates re-sealed" in result.output, result.output
    db.session.expire_all()
    after = db.session.scalar(select(FaceEncoding.encoding).join(User).where(User.email == student[0]))
    assert after != before and after[1:5] != before[1:5]
    # the servers restart with the new key
    app.extensions["rollcall_rules"] = dataclasses.replace(app.extensions["rollcall_rules"],
                                                           face_key=bytes.fromhex(new_key))
    response = check_in(client, student)
    assert response.status_code == 200, response.get_json()
    # a generated key lands in instance/face_key, written only once the templates are re-sealed
    key_file = tmp_path / "face_key"
    monkeypatch.setitem(app.config, "FACE_KEY_FILE", str(key_file))
    result = runner.invoke(args=["privacy", "rotate-key"])
    assert result.exit_code == 0 and str(key_file) in result.output and not key_file.with_name("face_key.new").exists()
    assert key_file.stat().st_mode & 0o777 == 0o600
    db.session.expire_all()
    raw, owner = db.session.execute(select(FaceEncoding.encoding, FaceEncoding.user_id)
                                    .join(User).where(User.email == student[0])).one()
    newest, replaced = sealing.parse_ring(key_file.read_text())
    assert replaced == bytes.fromhex(new_key) and len(sealing.unseal(newest, owner, raw)) == 1024
    # a key given from outside (the environment): the generated key is printed to set there
    monkeypatch.setitem(app.config, "FACE_KEY_FILE", None)
    monkeypatch.setitem(app.extensions, "rollcall_rules", dataclasses.replace(
        app.extensions["rollcall_rules"], face_key=sealing.KeyRing(path=str(key_file))))
    result = runner.invoke(args=["privacy", "rotate-key"])
    assert result.exit_code == 0 and "Set FACE_KEY" in result.output
    printed = result.output.strip().splitlines()[-1]
    db.session.expire_all()
    raw = db.session.scalar(select(FaceEncoding.encoding).where(FaceEncoding.user_id == owner))
    assert len(sealing.unseal(sealing.parse_ring(printed)[0], owner, raw)) == 1024


# ---- the audit log --------------------------------------------------------------------------

@pytest.mark.face
def test_class_photo_recognitions_are_audited_and_shown_to_the_student(client, make_user, at, it):
    at(NOON)
    teacher = make_user("teacher@school.test", TEACHER, photo="lin_manuel_miranda.png")
    obama = make_user("obama@school.test", photo="obama.jpg")
    biden = make_user("biden@school.test", photo="biden.jpg")
    create_class(client, teacher, roster="biden@school.test")
    body = photograph(client, teacher, "obama_biden.jpg").get_json()
    [face] = [f for f in body["faces"] if f["status"] == "matched"]
    [entry] = db.session.scalars(select(AuditEntry)).all()
    session_id = db.session.scalar(select(ClassSession.id))
    biden_id, teacher_id = (db.session.scalar(select(User.id).where(User.email == e))
                            for e in ("biden@school.test", "teacher@school.test"))
    assert (entry.kind, entry.actor_id, entry.subject_id, entry.session_id) == (
        "recognition", teacher_id, biden_id, session_id)
    assert round(entry.distance, 3) == face["distance"]
    mine = post(client, "get_my_audit", biden[1], student_email_id=biden[0]).get_json()
    assert [(a["kind"], a["actor_email_id"], a["class_name"]) for a in mine["audit"]] == [
        ("recognition", "teacher@school.test", "Math 101")]
    assert [(c["by"], c["method"], c["to_status"]) for c in mine["changes"]] == [
        ("teacher@school.test", "photo", "present")]
    assert post(client, "get_my_audit", obama[1], student_email_id=obama[0]).get_json() == {
        "audit": [], "changes": []}
    log = post(client, "admin_audit_log", it[1], email_id=it[0], subject_email_id="biden@school.test").get_json()
    assert [e["kind"] for e in log] == ["recognition"] and log[0]["distance"] == face["distance"]


def test_the_audit_log_is_append_only_and_filtered_for_admins(client, make_user, it, teacher):
    make_user("obama@school.test")
    admin_call = dict(email_id=it[0])
    post(client, "admin_set_user_status", it[1], user_email_id=teacher[0], user_type="1", action="suspend",
         **admin_call)
    post(client, "admin_set_user_status", it[1], user_email_id=teacher[0], user_type="1", action="reactivate",
         **admin_call)
    post(client, "admin_erase_user", it[1], user_email_id="obama@school.test", user_type="0", **admin_call)
    everything = post(client, "admin_audit_log", it[1], actor_email_id=it[0], actor_type="2", **admin_call)
    assert [e["kind"] for e in everything.get_json()] == ["erase.account", "admin.reactivate", "admin.suspend"]
    page = post(client, "admin_audit_log", it[1], limit="1", offset="1", **admin_call).get_json()
    assert [e["kind"] for e in page] == ["erase.account"]  # after the read above, which is logged too
    suspensions = post(client, "admin_audit_log", it[1], kind="admin.suspend", **admin_call).get_json()
    assert [(e["subject_email_id"], e["detail"]) for e in suspensions] == [
        (teacher[0], {"from": "active", "to": "suspended"})]
    erased = post(client, "admin_audit_log", it[1], kind="erase.account", **admin_call).get_json()
    assert erased[0]["subject_email_id"].startswith("erased-student-") and "obama" not in str(erased)
    entry = db.session.scalars(select(AuditEntry)).first()
    entry.kind = "rewritten"
    with pytest.raises(RuntimeError, match="append-only"):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.scalars(select(AuditEntry)).first())
    with pytest.raises(RuntimeError, match="append-only"):
        db.session.flush()
    db.session.rollback()
    assert "rewritten" not in set(db.session.scalars(select(AuditEntry.kind)))


def test_candidates_shown_for_review_are_audited(client, make_user, at, monkeypatch):
    """A face halfway between two roster students goes to review naming both: both are audited."""
    at(NOON)
    teacher = make_user("teacher@school.test", TEACHER)
    make_user("obama@school.test", photo="obama.jpg")
    make_user("rose@school.test", photo="rose_leslie.jpg")
    create_class(client, teacher, roster="obama@school.test,rose@school.test")
    between = (stand_in_encoding("obama.jpg") + stand_in_encoding("rose_leslie.jpg")) / 2
    gap = np.linalg.norm(stand_in_encoding("obama.jpg") - between)
    monkeypatch.setattr(faces, "room_encodings",
                        lambda data, max_pixels, keep_pixels: (None, [Box(1, 5, 5, 1)], [between]))
    app_rules = client.application.extensions["rollcall_rules"]
    client.application.extensions["rollcall_rules"] = dataclasses.replace(app_rules, photo_tolerance=gap + 0.01)
    body = photograph(client, teacher, "obama_biden.jpg").get_json()
    assert [f["status"] for f in body["faces"]] == ["needs_review"] and len(body["faces"][0]["candidates"]) == 2
    logged = db.session.execute(select(AuditEntry.kind, User.email).join(User, AuditEntry.subject_id == User.id)
                                .order_by(User.email)).all()
    assert [tuple(r) for r in logged] == [("recognition.candidate", "obama@school.test"),
                                          ("recognition.candidate", "rose@school.test")]


def test_face_key_is_generated_once_into_instance(tmp_path, monkeypatch):
    monkeypatch.delenv("FACE_KEY", raising=False)
    monkeypatch.setattr(config, "INSTANCE_DIR", tmp_path / "instance")
    overrides = {"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x"}
    first = config.load(overrides)
    key_file = tmp_path / "instance" / "face_key"
    assert first["FACE_KEY"] == key_file.read_text() and len(sealing.parse_key(first["FACE_KEY"])) == 32
    assert key_file.stat().st_mode & 0o777 == 0o600 and first["FACE_KEY_FILE"] == str(key_file)
    assert config.load(overrides)["FACE_KEY"] == first["FACE_KEY"]
    monkeypatch.setenv("FACE_KEY", "ab" * 32)
    from_env = config.load(overrides)
    assert from_env["FACE_KEY"] == "ab" * 32 and from_env["FACE_KEY_FILE"] is None
    assert "00" * 32 not in repr(config.Rules.from_config({**from_env, "FACE_KEY": "00" * 32}))


def test_rotate_key_seals_templates_enrolled_before_sealing(app, make_user):
    make_user("obama@school.test", photo="obama.jpg")
    plain = faces.to_bytes(stand_in_encoding("obama.jpg"))
    face = db.session.scalar(select(FaceEncoding))
    face.encoding = plain  # as a database upgraded from before sealing holds it
    db.session.commit()
    new_key = "cd" * 32
    result = app.test_cli_runner().invoke(args=["privacy", "rotate-key", "--new-key-stdin"], input=new_key + "\n")
    assert result.exit_code == 0 and "1 face templates re-sealed" in result.output
    db.session.expire_all()
    sealed = db.session.scalar(select(FaceEncoding.encoding))
    assert plain not in sealed and sealing.unseal(bytes.fromhex(new_key), face.user_id, sealed) == plain
