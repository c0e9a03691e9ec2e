"""Email (issue 26): a real SMTP server (aiosmtpd, on 127.0.0.1) receives the weekly
low-attendance notice, to the student and the guardian a roster file named, sent from the outbox
and never inside a request; a failure is retried with backoff; STARTTLS with a login works."""
import datetime as dt
import io
import ssl
from datetime import timedelta

import pytest
from aiosmtpd.smtp import AuthResult
from sqlalchemy import func, select

import config
from models import ClassSession, GuardianContact, MailMessage, db
from services import mail
from tests.helpers import NOON, PASSWORD, START, assert_error, create_class, post, slot_fields
from tests.mailbox import SmtpServer

OBAMA, ROSE = "obama@school.test", "rose@school.test"
GUARDIAN = "michelle@home.test"


@pytest.fixture
def settings(settings, smtp):
    return {**settings, "SMTP_URL": smtp.url, "MAIL_FROM": "rollcall@school.test"}


def count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def run(app, *args):
    result = app.test_cli_runner().invoke(args=list(args))
    assert result.exit_code == 0, result.output
    return result.output


def roster_file(text):
    return (io.BytesIO(text.encode()), "roster.csv")


def test_the_weekly_notice_reaches_the_student_and_the_guardian_the_roster_named(app, client, teacher, make_user,
                                                                                at, smtp):
    at(NOON)
    make_user(OBAMA, name="Barack")
    make_user(ROSE, name="Rose")
    csv = f"Name,Email,Guardian email\nBarack,{OBAMA},{GUARDIAN}\nRose,{ROSE},\n"
    response = create_class(client, teacher, roster=None, start=START - timedelta(days=1),
                            roster_file=roster_file(csv))
    assert response.status_code == 200, response.get_json()
    email_, token = teacher
    post(client, "set_attendance", token, teacher_email_id=email_, student_email_id=ROSE, status="present",
         **slot_fields(START - timedelta(days=1)))
    assert smtp.inbox.messages == [] and count(MailMessage) == 0  # nothing inside the requests
    assert "2 low-attendance notices queued" in run(app, "mail", "weekly")  # obama 0 of 1; rose is fine
    assert "0 low-attendance notices queued" in run(app, "mail", "weekly")  # once a week, however often
    assert smtp.inbox.messages == []  # queued, not sent yet
    assert "2 mails attempted" in run(app, "mail", "send")
    [to_student], [to_guardian] = smtp.inbox.to(OBAMA), smtp.inbox.to(GUARDIAN)
    assert smtp.inbox.to(ROSE) == []
    assert to_student["From"] == "rollcall@school.test" and "Attendance under 75%" in to_student["Subject"]
    assert "Math 101" in to_student.get_content() and "0.0%" in to_student.get_content()
    assert to_guardian["Subject"].startswith("Barack: ") and "Barack's attendance" in to_guardian.get_content()
    assert {m.status for m in db.session.scalars(select(MailMessage))} == {"sent"}
    assert "0 mails attempted" in run(app, "mail", "send")
    at(NOON + timedelta(days=7))  # a week later, still under: told again
    assert "2 low-attendance notices queued" in run(app, "mail", "weekly")


def test_a_bad_guardian_address_refuses_the_roster_file_and_keeps_nothing(client, teacher, make_user, at):
    at(NOON)
    make_user(OBAMA)
    response = create_class(client, teacher, roster=None, roster_file=roster_file(
        f"email;guardian_email\n{OBAMA};not-an-address\n"))
    assert_error(response, 400, "bad_roster_file")
    assert "guardian" in response.get_json()["ERROR"]
    assert count(GuardianContact) == 0 and count(ClassSession) == 0


def test_a_student_names_their_guardian_and_removes_it(client, student):
    email_, token = student
    answer = post(client, "set_guardian_email", token, student_email_id=email_, guardian_email=GUARDIAN)
    assert answer.status_code == 200 and answer.get_json()["guardian_email"] == GUARDIAN
    assert mail.guardian_of(email_) == GUARDIAN
    assert_error(post(client, "set_guardian_email", token, student_email_id=email_, guardian_email="nope"),
                 400, "bad_field")
    assert mail.guardian_of(email_) == GUARDIAN
    profile = post(client, "get_profile", token, email_id=email_, user_type="0").get_json()
    assert profile["guardian_email"] == GUARDIAN  # the student sees who else gets the notice
    answer = post(client, "set_guardian_email", token, student_email_id=email_, guardian_email="")
    assert answer.get_json()["guardian_email"] is None and count(GuardianContact) == 0
    assert post(client, "get_profile", token, email_id=email_, user_type="0").get_json()["guardian_email"] is None


def test_a_server_that_is_away_is_tried_again_with_growing_waits(app, client, teacher, make_user, at, smtp):
    at(NOON)
    make_user(OBAMA, name="Barack")
    create_class(client, teacher, start=START - timedelta(days=1))
    run(app, "mail", "weekly")
    smtp.stop()
    assert "1 mails attempted" in run(app, "mail", "send")
    [message] = db.session.scalars(select(MailMessage)).all()
    assert (message.status, message.attempts) == ("pending", 1) and message.last_error
    assert message.next_attempt_at == NOON + mail.BACKOFF[0]
    assert "0 mails attempted" in run(app, "mail", "send")  # not due yet
    at(NOON + timedelta(minutes=2))
    assert "1 mails attempted" in run(app, "mail", "send")
    db.session.refresh(message)
    assert message.attempts == 2 and message.next_attempt_at == NOON + timedelta(minutes=2) + mail.BACKOFF[1]
    again = SmtpServer()
    try:
        app.config["SMTP_URL"] = again.url
        at(NOON + timedelta(minutes=8))
        run(app, "mail", "send")
        db.session.refresh(message)
        assert message.status == "sent" and message.attempts == 3
        assert len(again.inbox.to(OBAMA)) == 1
    finally:
        again.stop()


def test_a_mail_failing_for_a_day_is_given_up(app, client, teacher, make_user, at, smtp):
    at(NOON)
    make_user(OBAMA, name="Barack")
    create_class(client, teacher, start=START - timedelta(days=1))
    run(app, "mail", "weekly")
    smtp.stop()
    moment = NOON
    for _ in range(12):
        run(app, "mail", "send")
        moment += timedelta(hours=6)
        at(moment)
    [message] = db.session.scalars(select(MailMessage)).all()
    assert message.status == "failed" and message.last_attempt_at <= NOON + mail.GIVE_UP_AFTER


def test_without_smtp_url_the_commands_refuse_and_nothing_is_queued(app, monkeypatch):
    app.config["SMTP_URL"] = None
    result = app.test_cli_runner().invoke(args=["mail", "send"])
    assert result.exit_code != 0 and "SMTP_URL" in result.output
    assert mail.start_sender(app) is None and count(MailMessage) == 0


@pytest.mark.parametrize("url,problem", [
    ("http://mail.school.test", "smtp://"), ("smtp://", "smtp://"), ("smtp://mail:port", "port"),
    ("smtps://mail.school.test?starttls=1", "already encrypted"), ("smtp://mail?tls=1", "only option")])
def test_a_bad_smtp_url_stops_the_start(url, problem):
    with pytest.raises(ValueError, match=problem):
        config._smtp_url(url)


def test_the_weekly_moment_is_a_weekday_and_a_time():
    assert config._weekly_moment("Mon 08:00") == (0, 8, 0) and config._weekly_moment("friday 16:30") == (4, 16, 30)
    for bad in ("08:00", "mon", "mon 25:00", "someday 08:00", "mon 8h"):
        with pytest.raises(ValueError):
            config._weekly_moment(bad)


def test_smtp_urls_name_the_server_and_its_encryption():
    assert vars(mail.server("smtp://relay.school.test")) == {
        "host": "relay.school.test", "port": 25, "mode": "plain", "user": None, "password": None}
    assert vars(mail.server("smtp://ro%40ll:p%3Ass@relay:2525?starttls=1")) == {
        "host": "relay", "port": 2525, "mode": "starttls", "user": "ro@ll", "password": "p:ss"}
    assert mail.server("smtp://relay?starttls=1").port == 587
    assert (mail.server("smtps://relay").mode, mail.server("smtps://relay").port) == ("tls", 465)


def _self_signed(tmp_path):
    """A certificate for 127.0.0.1 (its own CA), written to cert.pem and key.pem."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def test_starttls_with_a_login_checks_the_certificate(tmp_path, monkeypatch):
    cert_path, key_path = _self_signed(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_path, key_path)
    logins = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        logins.append((auth_data.login, auth_data.password))
        return AuthResult(success=auth_data.password == b"s3cret")

    server = SmtpServer(tls_context=context, require_starttls=True, authenticator=authenticator,
                        auth_require_tls=True)
    try:
        url = f"smtp://rollcall:s3cret@127.0.0.1:{server.port}?starttls=1"
        with pytest.raises(ssl.SSLError):  # the certificate is nobody's the system trusts
            mail.send_now(url, "rollcall@school.test", OBAMA, "Hello", "Text")
        monkeypatch.setenv("SSL_CERT_FILE", str(cert_path))
        mail.send_now(url, "rollcall@school.test", OBAMA, "Hello", "Text")
        assert logins == [(b"rollcall", b"s3cret")] and len(server.inbox.to(OBAMA)) == 1
    finally:
        server.stop()


@pytest.mark.settings(LOW_ATTENDANCE_MAIL_AT="tue 13:00")
def test_the_web_process_sender_queues_the_week_once_its_time_came_and_sends(app, client, teacher, make_user, at,
                                                                            smtp):
    at(NOON)  # Monday 2 March 2026
    make_user(OBAMA, name="Barack")
    create_class(client, teacher, start=START - timedelta(days=1))
    sender = mail._Sender(app)
    sender()
    assert smtp.inbox.messages == [] and count(MailMessage) == 0  # not Tuesday 13:00 yet
    at(NOON + timedelta(days=1, hours=1))
    sender()
    assert len(smtp.inbox.to(OBAMA)) == 1
    at(NOON + timedelta(days=1, hours=3))  # the next hourly look finds this week's notice queued already
    sender()
    assert len(smtp.inbox.to(OBAMA)) == 1 and count(MailMessage) == 1


def test_a_roster_files_guardian_column_is_never_taken_for_the_students():
    from services import roster_files
    lines = roster_files.parse_csv(f"Parent e-mail;Student email;Name\n{GUARDIAN.upper()};{OBAMA};Barack\n"
                                   f";{ROSE};Rose\n".encode())
    assert [(line.email, line.name, line.guardian_email) for line in lines] == [
        (OBAMA, "Barack", GUARDIAN), (ROSE, "Rose", None)]
    assert roster_files.guardians(lines) == [(OBAMA, GUARDIAN)]


def test_the_admin_sees_each_mails_outcome_but_not_its_text(app, client, teacher, make_user, at, smtp, it):
    at(NOON)
    make_user(OBAMA, name="Barack")
    create_class(client, teacher, start=START - timedelta(days=1))
    run(app, "mail", "weekly")
    smtp.stop()
    run(app, "mail", "send")
    email_, token = it
    [listed] = post(client, "admin_list_mail", token, email_id=email_).get_json()
    assert (listed["kind"], listed["recipient"], listed["status"], listed["attempts"]) == (
        "low_attendance", OBAMA, "pending", 1)
    assert listed["last_error"] and listed["next_attempt_at"] and "body" not in listed
    assert post(client, "admin_list_mail", token, email_id=email_, status="sent").get_json() == []
    assert_error(post(client, "admin_list_mail", token, email_id=email_, status="lost"), 400, "bad_field")
    student_token = post(client, "login_student", email_id=OBAMA, passwd_hash=PASSWORD).get_json()["token"]
    assert_error(post(client, "admin_list_mail", student_token, email_id=OBAMA), 403, "wrong_role")


def test_a_long_name_makes_a_bounded_one_line_subject(app, client, teacher, make_user, at, smtp):
    at(NOON)
    make_user(OBAMA, name="B" * 190 + " Obama")
    create_class(client, teacher, roster=None, start=START - timedelta(days=1),
                 roster_file=roster_file(f"email,guardian_email\n{OBAMA},{GUARDIAN}\n"))
    run(app, "mail", "weekly")
    run(app, "mail", "send")
    [to_guardian] = smtp.inbox.to(GUARDIAN)
    assert to_guardian["Subject"].startswith("BBB") and len(to_guardian["Subject"]) <= mail.MAX_SUBJECT


def test_the_test_command_reaches_the_server_or_says_why(app, smtp):
    assert "Sent to it@school.test" in run(app, "mail", "test", "it@school.test")
    [message] = smtp.inbox.to("it@school.test")
    assert message["Subject"] == "Rollcall: a test mail"
    smtp.stop()
    result = app.test_cli_runner().invoke(args=["mail", "test", "it@school.test"])
    assert result.exit_code != 0 and "did not take it" in result.output
    assert count(MailMessage) == 0
