"""Invitations claimed with proof (issue 26): under VERIFY_INVITED_EMAILS a new student joins the
rosters that invited their address only after proving it, by a code mailed to it (through a real
SMTP server) or by the inviting teacher or an administrator confirming. Codes are stored only as
HMACs, expire, and allow a few guesses; a refused request writes nothing but the guess it counts."""
import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from models import TEACHER, AttendanceRecord, AuditEntry, EmailClaim, MailMessage, RosterInvitation, User, db
from services import claim_codes, claims
from tests.helpers import (NOON, PASSWORD, START, assert_error, concurrently, create_class, fixture_bytes, post,
                           slot_fields)
from tests.test_invitations import ROSE, enroll_without_model, register, roster  # noqa: F401 (a fixture)
from tests.test_mail import run
from tests.test_privacy import rows_holding

KIT = "kit@school.test"
TOMORROW = START + timedelta(days=1)
VERIFY = pytest.mark.settings(VERIFY_INVITED_EMAILS=True)


@pytest.fixture
def settings(settings, smtp):
    return {**settings, "SMTP_URL": smtp.url}


@pytest.fixture
def invited(client, teacher, make_user, at, enroll_without_model):
    """Kit is named on today's (running) and tomorrow's class before he registers."""
    at(NOON)
    make_user(ROSE, photo="rose_leslie.jpg")
    for start in (START, TOMORROW):
        assert create_class(client, teacher, roster=f"{ROSE}, {KIT}", start=start).status_code == 200
    return teacher


def count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def kit_records():
    return count(AttendanceRecord, AttendanceRecord.student_id == select(User.id).where(User.email == KIT)
                 .scalar_subquery())


def code_from(smtp):
    [(_, message)] = [m for m in smtp.inbox.messages if KIT in m[0]][-1:]
    return re.search(r"code is (\d{6})", message.get_content()).group(1)


def call(client, kit, path, **fields):
    email, token = kit
    return post(client, path, token, **{"student_email_id": email, **fields})


def profile(client, kit):
    email, token = kit
    return post(client, "get_profile", token, email_id=email).get_json()


@VERIFY
def test_an_invited_address_joins_its_rosters_only_with_the_mailed_code(app, client, invited, smtp):
    registered = post(client, "register_student", email_id=KIT, name="kit", passwd_hash=PASSWORD,
                      image_file=(io.BytesIO(fixture_bytes("kit_harington.jpg")), "kit.jpg")).get_json()
    assert registered["email_proof_pending"] is True
    kit = KIT, registered["token"]
    assert kit_records() == 0 and count(RosterInvitation, RosterInvitation.email == KIT) == 2
    assert roster(client, invited, START)[KIT]["status"] == "not_enrolled"  # still an invitation
    assert profile(client, kit)["email_proof_pending"] is True
    [queued] = db.session.scalars(select(MailMessage)).all()  # the first code, queued at registration
    assert (queued.kind, queued.recipient, queued.body) == ("claim_code", KIT, None) and smtp.inbox.messages == []
    assert_error(call(client, kit, "submit_email_code", code="123456"), 409, "no_code")
    run(app, "mail", "send")
    code = code_from(smtp)
    assert rows_holding(code) == []  # only its HMAC is kept
    wrong = "000000" if code != "000000" else "111111"
    assert_error(call(client, kit, "submit_email_code", code=wrong), 400, "wrong_code")
    assert kit_records() == 0 and db.session.get(EmailClaim, db.session.scalar(
        select(User.id).where(User.email == KIT))).attempts == 1  # the guess is counted, nothing else
    proven = call(client, kit, "submit_email_code", code=code)
    assert proven.status_code == 200, proven.get_json()
    assert proven.get_json()["sessions_joined"] == 2 and kit_records() == 2
    assert roster(client, invited, START)[KIT]["status"] == "pending"  # on the roster, not marked yet
    assert "email_proof_pending" not in profile(client, kit)
    assert count(EmailClaim) == 0 and count(RosterInvitation, RosterInvitation.email == KIT) == 0
    assert_error(call(client, kit, "submit_email_code", code=code), 409, "already_verified")
    [entry] = db.session.scalars(select(AuditEntry).where(AuditEntry.kind == "email.verified")).all()
    assert '"by": "code"' in entry.detail


@VERIFY
def test_an_unproven_student_named_on_a_new_roster_is_only_invited(client, invited, teacher, enroll_without_model):
    kit = register(client, KIT)
    created = create_class(client, teacher, roster=KIT, start=START + timedelta(days=2)).get_json()
    assert created["invited_student_email_ids"] == [KIT] and kit_records() == 0
    email, token = teacher
    proven = post(client, "confirm_student_email", token, email_id=email, invited_email_id=KIT)
    assert proven.status_code == 200, proven.get_json()
    assert proven.get_json()["sessions_joined"] == 3 and kit_records() == 3
    assert_error(call(client, kit, "request_email_code"), 409, "already_verified")


@VERIFY
def test_codes_expire_allow_few_guesses_and_are_spaced(app, client, invited, smtp, at):
    kit = register(client, KIT)
    assert_error(call(client, kit, "request_email_code"), 429, "code_requested")  # just queued at registration
    assert count(MailMessage) == 1
    run(app, "mail", "send")
    code = code_from(smtp)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(claims.MAX_ATTEMPTS):
        assert_error(call(client, kit, "submit_email_code", code=wrong), 400, "wrong_code")
    assert_error(call(client, kit, "submit_email_code", code=code), 429, "too_many_codes")
    assert kit_records() == 0
    at(NOON + timedelta(minutes=2))
    assert call(client, kit, "request_email_code").status_code == 200
    run(app, "mail", "send")
    fresh = code_from(smtp)
    at(NOON + timedelta(minutes=2) + claim_codes.CODE_TTL)
    assert_error(call(client, kit, "submit_email_code", code=fresh), 409, "code_expired")
    assert kit_records() == 0
    at(NOON + timedelta(minutes=3))
    assert call(client, kit, "submit_email_code", code=fresh).get_json()["sessions_joined"] == 2


@VERIFY
def test_only_the_inviting_teacher_or_an_admin_may_confirm(client, invited, make_user, it, enroll_without_model):
    kit = register(client, KIT)
    other = make_user("other@school.test", TEACHER, photo="biden.jpg")
    email, token = invited
    [waiting] = post(client, "get_students_awaiting_proof", token, email_id=email).get_json()
    assert (waiting["student_email_id"], waiting["name"], waiting["invited_sessions"]) == (KIT, "kit", 2)
    assert post(client, "get_students_awaiting_proof", other[1], email_id=other[0]).get_json() == []
    assert [w["student_email_id"] for w in post(client, "get_students_awaiting_proof", it[1],
                                                email_id=it[0]).get_json()] == [KIT]
    assert_error(post(client, "get_students_awaiting_proof", kit[1], email_id=KIT), 403, "wrong_role")
    assert_error(post(client, "confirm_student_email", other[1], email_id=other[0], invited_email_id=KIT),
                 403, "not_your_invitation")
    assert_error(post(client, "confirm_student_email", kit[1], email_id=KIT, invited_email_id=KIT),
                 403, "wrong_role")
    assert_error(post(client, "confirm_student_email", it[1], email_id=it[0], invited_email_id="nobody@school.test"),
                 404, "no_such_student")
    assert_error(post(client, "confirm_student_email", it[1], email_id=it[0], invited_email_id="not an email"),
                 400, "bad_field")
    assert kit_records() == 0 and count(AuditEntry, AuditEntry.kind == "email.verified") == 0
    proven = post(client, "confirm_student_email", it[1], email_id=it[0], invited_email_id=KIT)
    assert proven.get_json()["sessions_joined"] == 2 and kit_records() == 2
    assert post(client, "get_students_awaiting_proof", token, email_id=email).get_json() == []
    assert_error(post(client, "confirm_student_email", it[1], email_id=it[0], invited_email_id=KIT),
                 409, "already_verified")


@VERIFY
def test_a_registrant_nobody_invited_is_sent_no_code(client, enroll_without_model, at):
    at(NOON)
    kit = register(client, KIT)
    assert count(MailMessage) == 0  # nothing to claim yet; a code can still be asked for
    assert call(client, kit, "request_email_code").status_code == 200 and count(MailMessage) == 1


@VERIFY
def test_without_mail_a_code_cannot_be_asked_for_but_a_teacher_can_confirm(app, client, invited, teacher,
                                                                           enroll_without_model):
    app.config["SMTP_URL"] = None
    app.extensions["rollcall_rules"] = app.extensions["rollcall_rules"].__class__(
        **{**vars(app.extensions["rollcall_rules"]), "mail_on": False})
    kit = register(client, KIT)
    assert count(MailMessage) == 0
    assert_error(call(client, kit, "request_email_code"), 409, "mail_off")
    email, token = teacher
    assert post(client, "confirm_student_email", token, email_id=email,
                invited_email_id=KIT).get_json()["sessions_joined"] == 2


def test_when_verification_is_off_registration_joins_at_once(client, invited):
    kit = register(client, KIT)
    assert kit_records() == 2 and "email_proof_pending" not in profile(client, kit)
    assert_error(call(client, kit, "request_email_code"), 409, "already_verified")
    assert count(MailMessage) == 0


@VERIFY
def test_erasing_a_student_leaves_no_claim_mail_or_guardian_behind(app, client, invited, smtp, teacher):
    kit = register(client, KIT)
    call(client, kit, "set_guardian_email", guardian_email="mum@home.test")
    run(app, "mail", "send")
    assert rows_holding(KIT, "mum@home.test")
    exported = post(client, "export_my_data", kit[1], email_id=KIT).get_json()
    assert exported["guardian_email"] == "mum@home.test"
    assert [(m["kind"], m["recipient"], m["status"]) for m in exported["mail"]] == [("claim_code", KIT, "sent")]
    erased = post(client, "delete_my_account", kit[1], email_id=KIT, passwd_hash="5f4dcc3b5aa765d61d8327deb882cf99")
    assert erased.status_code == 200, erased.get_json()
    assert rows_holding(KIT, "mum@home.test") == []
    assert count(EmailClaim) == 0 and count(MailMessage) == 0


@VERIFY
def test_parallel_guesses_cannot_pass_the_limit(app, client, invited, smtp):
    kit = register(client, KIT)
    run(app, "mail", "send")
    code = code_from(smtp)
    wrong = "000000" if code != "000000" else "111111"
    statuses = concurrently(app, 8, lambda c: post(c, "submit_email_code", kit[1], student_email_id=KIT,
                                                   code=wrong))
    assert statuses == [400] * claims.MAX_ATTEMPTS + [429] * (8 - claims.MAX_ATTEMPTS)
    assert db.session.scalar(select(EmailClaim.attempts)) == claims.MAX_ATTEMPTS
    assert_error(call(client, kit, "submit_email_code", code=code), 429, "too_many_codes")


@VERIFY
def test_a_term_and_a_roster_edit_only_invite_an_unproven_student(client, invited, teacher, enroll_without_model):
    register(client, KIT)
    email, token = teacher
    term = post(client, "create_schedule", token, teacher_email_id=email, class_name="Art", weekdays="mon,wed",
                start_time="14:00", end_time="15:00", from_date="2026-03-02", to_date="2026-03-11",
                student_email_ids=KIT)
    assert term.status_code == 200 and term.get_json()["invited_student_email_ids"] == [KIT]
    later = START + timedelta(days=2)
    assert create_class(client, teacher, roster=ROSE, start=later).status_code == 200
    edited = post(client, "update_roster", token, email_id=email, add_student_email_ids=KIT, **slot_fields(later))
    assert edited.status_code == 200 and edited.get_json()["invited_student_email_ids"] == [KIT]
    assert kit_records() == 0
    proven = post(client, "confirm_student_email", token, email_id=email, invited_email_id=KIT).get_json()
    assert proven["sessions_joined"] == 2 + 4 + 1 and kit_records() == 7  # today, tomorrow, the term, the edit


@VERIFY
def test_codes_are_capped_per_day(app, client, invited, smtp, at, enroll_without_model):
    kit = register(client, KIT)  # the first code
    moment = NOON
    for _ in range(claims.MAX_CODES_PER_DAY - 1):
        moment += claims.RESEND_AFTER
        at(moment)
        assert call(client, kit, "request_email_code").status_code == 200
        run(app, "mail", "send")
    at(moment + claims.RESEND_AFTER)
    assert_error(call(client, kit, "request_email_code"), 429, "too_many_codes_today")
    assert count(AuditEntry, AuditEntry.kind == "email.code_requested") == claims.MAX_CODES_PER_DAY
    at(NOON + timedelta(days=1, minutes=1))
    assert call(client, kit, "request_email_code").status_code == 200
