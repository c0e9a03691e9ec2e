"""Accounts an administrator vets (issue 8): TEACHER_SIGNUP, STUDENT_EMAIL_DOMAINS, suspension,
the admin endpoints and their `flask users` commands."""
import io

import pytest
from sqlalchemy import func, select

from models import ADMIN, STUDENT, TEACHER, AuditEntry, FaceEncoding, Token, User, db
from tests.helpers import PASSWORD, assert_error, fixture_bytes, post


def count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def admin_call(client, it, path, **fields):
    email, token = it
    return post(client, path, token, email_id=email, **fields)


def register_teacher(client, email="new@school.test"):
    return post(client, "register_teacher", email_id=email, name="New Teacher", passwd_hash=PASSWORD,
                image_file=(io.BytesIO(fixture_bytes("biden.jpg")), "biden.jpg"))


def login_teacher(client, email="new@school.test"):
    return post(client, "login_teacher", email_id=email, passwd_hash=PASSWORD)


@pytest.mark.face
def test_a_new_teacher_waits_for_approval_by_default(client, it):
    registered = register_teacher(client)
    assert registered.status_code == 200
    body = registered.get_json()
    assert body["status"] == "pending_approval" and "token" not in body and "approve" in body["SUCCESS"]
    assert count(Token) == 1  # the admin's only
    pending = login_teacher(client)
    assert_error(pending, 403, "pending_approval")
    assert "approv" in pending.get_json()["ERROR"]
    listed = admin_call(client, it, "admin_list_users", status="pending_approval").get_json()
    assert [u["email_id"] for u in listed] == ["new@school.test"] and listed[0]["faces_enrolled"] == 1
    approved = admin_call(client, it, "admin_set_user_status", user_email_id="new@school.test", user_type="1",
                          action="approve")
    assert approved.status_code == 200 and approved.get_json()["user"]["status"] == "active"
    logged_in = login_teacher(client)
    assert logged_in.status_code == 200 and logged_in.get_json()["token"]
    [entry] = admin_call(client, it, "admin_audit_log", kind="admin.approve").get_json()
    assert entry["actor_email_id"] == "it@school.test" and entry["subject_email_id"] == "new@school.test"
    assert entry["detail"] == {"from": "pending_approval", "to": "active"}


@pytest.mark.settings(TEACHER_SIGNUP="closed")
def test_closed_signup_leaves_teachers_to_admins(client, it):
    assert_error(register_teacher(client), 403, "signup_closed")
    assert count(User) == 1 and count(FaceEncoding) == 0
    created = admin_call(client, it, "admin_create_teacher", user_email_id="new@school.test", name="New",
                         passwd_hash=PASSWORD)
    assert created.status_code == 200 and created.get_json()["user"]["status"] == "active"
    assert login_teacher(client).status_code == 200


@pytest.mark.settings(STUDENT_EMAIL_DOMAINS="school.test, pupils.school.test")
def test_students_enroll_only_with_the_schools_domains(client):
    response = post(client, "register_student", email_id="kid@gmail.com", name="Kid", passwd_hash=PASSWORD,
                    image_file=(io.BytesIO(fixture_bytes("obama.jpg")), "obama.jpg"))
    assert_error(response, 403, "email_domain")
    assert "@school.test" in response.get_json()["ERROR"]
    assert count(User) == 0 and count(FaceEncoding) == 0


def test_a_suspended_teachers_token_stops_working_at_once_and_for_good(client, it, teacher):
    email, token = teacher
    assert post(client, "get_classes_by_teacher", token, teacher_email_id=email).status_code == 200
    suspended = admin_call(client, it, "admin_set_user_status", user_email_id=email, user_type="1",
                           action="suspend")
    assert suspended.status_code == 200
    assert_error(post(client, "get_classes_by_teacher", token, teacher_email_id=email), 401, "token_invalid")
    assert_error(post(client, "login_teacher", email_id=email, passwd_hash=PASSWORD), 403, "suspended")
    admin_call(client, it, "admin_set_user_status", user_email_id=email, user_type="1", action="reactivate")
    # the suspension revoked the token: reactivation does not bring it back, a new login does
    assert_error(post(client, "get_classes_by_teacher", token, teacher_email_id=email), 401, "token_invalid")
    token = post(client, "login_teacher", email_id=email, passwd_hash=PASSWORD).get_json()["token"]
    assert post(client, "get_classes_by_teacher", token, teacher_email_id=email).status_code == 200


def test_admins_log_in_with_their_own_endpoint(client, it):
    response = post(client, "login_admin", email_id="it@school.test", passwd_hash=PASSWORD)
    assert response.status_code == 200 and response.get_json()["user_type"] == ADMIN
    assert_error(post(client, "login_teacher", email_id="it@school.test", passwd_hash=PASSWORD),
                 401, "bad_credentials")


def test_admin_endpoint_errors_change_nothing(client, it, teacher, student):
    teacher_email, teacher_token = teacher
    for path in ("admin_list_users", "admin_set_user_status", "admin_create_teacher", "admin_audit_log",
                 "admin_erase_user", "admin_transfer_sessions"):
        assert_error(post(client, path, teacher_token, email_id=teacher_email), 403, "wrong_role")
        assert_error(post(client, path, email_id="it@school.test"), 401, "token_missing")
        assert_error(post(client, path, it[1], email_id=teacher_email), 403, "not_yours")
    assert_error(admin_call(client, it, "admin_set_user_status", user_email_id=teacher_email, action="suspend"),
                 400, "missing_field")
    assert_error(admin_call(client, it, "admin_set_user_status", user_email_id=teacher_email, user_type="1",
                            action="delete"), 400, "bad_field")
    assert_error(admin_call(client, it, "admin_set_user_status", user_email_id="nobody@school.test",
                            user_type="1", action="suspend"), 404, "no_such_user")
    assert_error(admin_call(client, it, "admin_set_user_status", user_email_id=teacher_email, user_type="1",
                            action="approve"), 409, "bad_status")
    assert_error(admin_call(client, it, "admin_set_user_status", user_email_id="it@school.test", user_type="2",
                            action="suspend"), 409, "own_account")
    assert_error(admin_call(client, it, "admin_create_teacher", user_email_id=teacher_email, name="Twin",
                            passwd_hash=PASSWORD), 409, "email_taken")
    assert_error(admin_call(client, it, "admin_create_teacher", name="X", passwd_hash=PASSWORD),
                 400, "missing_field")
    assert_error(admin_call(client, it, "admin_erase_user", user_email_id="it@school.test", user_type="2"),
                 409, "own_account")
    assert_error(admin_call(client, it, "admin_erase_user", user_email_id=student[0]), 400, "missing_field")
    assert_error(admin_call(client, it, "admin_erase_user", user_email_id=teacher_email, user_type="0"),
                 404, "no_such_user")
    assert_error(admin_call(client, it, "admin_transfer_sessions", from_email_id=teacher_email), 400, "missing_field")
    assert_error(admin_call(client, it, "admin_transfer_sessions", from_email_id=teacher_email,
                            to_email_id=student[0]), 404, "no_such_user")
    assert {u.status for u in db.session.scalars(select(User))} == {"active"}
    assert count(User) == 3 and count(AuditEntry) == 0 and count(FaceEncoding) == 2


def test_admin_lists_users_by_role_and_status_paged(client, it, make_user):
    for i in range(3):
        make_user(f"s{i}@school.test")
    make_user("t@school.test", TEACHER)
    students = admin_call(client, it, "admin_list_users", user_type="0").get_json()
    assert [u["email_id"] for u in students] == ["s0@school.test", "s1@school.test", "s2@school.test"]
    assert set(students[0]) >= {"name", "user_type", "status", "faces_enrolled", "create_datetime"}
    page = admin_call(client, it, "admin_list_users", user_type="0", limit="1", offset="1").get_json()
    assert [u["email_id"] for u in page] == ["s1@school.test"]
    assert len(admin_call(client, it, "admin_list_users").get_json()) == 5
    assert admin_call(client, it, "admin_list_users", status="suspended").get_json() == []
    [entry] = db.session.scalars(select(AuditEntry).where(AuditEntry.kind == "admin.list_users")
                                 .order_by(AuditEntry.id.desc()).limit(1)).all()
    assert entry.detail == '{"listed": 0, "status": "suspended", "user_type": null}'
    assert count(AuditEntry) == 4


def test_users_commands(app, client):
    runner = app.test_cli_runner()
    made = runner.invoke(args=["users", "create-admin", "IT@school.test", "--password-stdin"], input=PASSWORD + "\n")
    assert made.exit_code == 0, made.output
    assert post(client, "login_admin", email_id="it@school.test", passwd_hash=PASSWORD).status_code == 200
    made = runner.invoke(args=["users", "create-teacher", "t@school.test", "--name", "Ms T", "--password-stdin"],
                         input=PASSWORD + "\n")
    assert made.exit_code == 0 and login_teacher(client, "t@school.test").status_code == 200
    again = runner.invoke(args=["users", "create-teacher", "t@school.test", "--password-stdin"], input="x\n")
    assert again.exit_code != 0 and "email_taken" in again.output
    suspended = runner.invoke(args=["users", "set-status", "t@school.test", "suspend"])
    assert suspended.exit_code == 0 and "suspended" in suspended.output
    assert_error(login_teacher(client, "t@school.test"), 403, "suspended")
    listed = runner.invoke(args=["users", "list", "--status", "suspended"]).output
    assert "t@school.test\tteacher\tsuspended" in listed and "it@school.test" not in listed
    assert "admin.suspend" in runner.invoke(args=["users", "audit"]).output
    missing = runner.invoke(args=["users", "set-status", "nobody@school.test", "suspend"])
    assert missing.exit_code != 0 and "no_such_user" in missing.output
    assert db.session.scalar(select(User.role).where(User.email == "it@school.test")) == ADMIN
    assert STUDENT not in set(db.session.scalars(select(User.role)))


@pytest.mark.settings(TEACHER_SIGNUP="closed", LOW_ATTENDANCE_THRESHOLD=60.0, FACE_RETENTION_DAYS=30,
                      SECRET_KEY="a-secret-nobody-may-read", CHECKIN_NETWORKS=("10.0.0.0/8", "192.168.1.0/24"))
def test_an_admin_reads_the_schools_settings_with_the_secrets_masked(client, it, app):
    answer = admin_call(client, it, "admin_get_settings")
    assert answer.status_code == 200
    settings = {s["name"]: s for s in answer.get_json()["settings"]}
    assert settings["TEACHER_SIGNUP"]["value"] == "closed" and settings["TEACHER_SIGNUP"]["default"] == "approval"
    assert settings["LOW_ATTENDANCE_THRESHOLD"]["value"] == 60.0
    retention = settings["FACE_RETENTION_DAYS"]
    assert retention["value"] == 30 and "privacy purge" in retention["meaning"]
    assert settings["ERASE_ATTENDANCE"]["value"] is False
    assert settings["CHECKIN_NETWORKS"]["value"] == ["10.0.0.0/8", "192.168.1.0/24"]
    for secret in ("SECRET_KEY", "FACE_KEY"):
        assert settings[secret]["value"] == "********"
    text = answer.get_data(as_text=True)
    assert app.config["SECRET_KEY"] not in text and app.config["FACE_KEY"] not in text
    assert settings["DATABASE_URL"]["config_key"] == "SQLALCHEMY_DATABASE_URI"


def test_only_an_admin_reads_the_settings(client, make_user):
    email, token = make_user("teacher@school.test", TEACHER)
    assert_error(post(client, "admin_get_settings", token, email_id=email), 403, "wrong_role")
    assert_error(post(client, "admin_get_settings", email_id=email), 401, "token_missing")
