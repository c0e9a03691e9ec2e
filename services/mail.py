"""Email: the weekly low-attendance notice (to the student and their guardian) and the codes
that prove an invited address (services/claims.py), sent through SMTP_URL.

The mail_outbox table is the queue, as webhook_deliveries is for webhooks: a mail is written
in the same transaction as what it tells, so it is sent if and only if that was committed, and
never inside a request. The sender (a thread in each web process, services/periodic.py, or
`flask --app app mail send`) claims due rows with a conditional UPDATE, sends each with a
timeout, and retries a failure with growing waits for a day. Without SMTP_URL nothing is queued.

A claim code is drawn by the sender when it sends the mail (claim_codes.draw_code), so the outbox
never holds one in clear.
"""
import logging
import smtplib
import ssl
from datetime import timedelta
from email.message import EmailMessage
from email.utils import make_msgid
from types import SimpleNamespace
from urllib.parse import parse_qsl, unquote, urlsplit

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from config import weekly_moment_of
from models import STUDENT, GuardianContact, MailMessage, User, db
from services import claim_codes, clock, periodic, term_reports

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 10
GIVE_UP_AFTER = timedelta(days=1)
# Waits after the 1st, 2nd, ... failed attempt; the last one repeats until a day has passed.
BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2),
           timedelta(hours=6))
LEASE = timedelta(minutes=2)  # a claimed mail is retried after this if its sender died mid-send
BATCH = 20
MAX_SUBJECT = 200  # the column's length
# what a mail that was not accepted raises; ValueError: a header the email library refuses
SEND_ERRORS = (smtplib.SMTPException, OSError, ValueError)
# The weekly notices are queued by whichever sender looks first in a week; the others find
# them queued (dedupe_key). Looking costs a school-wide report, so a sender looks hourly.
WEEKLY_LOOK_EVERY = timedelta(hours=1)


# -- the server ------------------------------------------------------------------------------


def server(smtp_url):
    """(host, port, mode, user, password) of an SMTP_URL; mode is "plain", "starttls" or "tls"."""
    parts = urlsplit(smtp_url)
    options = dict(parse_qsl(parts.query))
    if parts.scheme == "smtps":
        mode, port = "tls", parts.port or 465
    else:
        mode = "starttls" if options.get("starttls") == "1" else "plain"
        port = parts.port or (587 if mode == "starttls" else 25)
    user = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password else None
    return SimpleNamespace(host=parts.hostname, port=port, mode=mode, user=user, password=password)


def send_now(smtp_url, sender, recipient, subject, body):
    """Sends one mail; raises smtplib.SMTPException or OSError when it was not accepted. TLS
    checks the server's certificate and name against the system's CAs (SSL_CERT_FILE)."""
    target = server(smtp_url)
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, recipient, subject
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or "localhost")
    message.set_content(body)
    context = ssl.create_default_context()
    if target.mode == "tls":
        connection = smtplib.SMTP_SSL(target.host, target.port, timeout=TIMEOUT_SECONDS, context=context)
    else:
        connection = smtplib.SMTP(target.host, target.port, timeout=TIMEOUT_SECONDS)
    with connection:
        if target.mode == "starttls":
            connection.starttls(context=context)
        if target.user:
            connection.login(target.user, target.password or "")
        connection.send_message(message)


# -- the outbox ------------------------------------------------------------------------------


def queue(kind, user_id, recipient, subject, body, dedupe_key=None):
    """Writes one mail to the outbox in the current transaction. With a ``dedupe_key`` already
    queued (by this or another process) nothing is added; returns whether it was."""
    now = clock.utc_naive()
    subject = " ".join(subject.split())[:MAX_SUBJECT]  # a name is the person's own text: one line, bounded
    message = MailMessage(kind=kind, user_id=user_id, recipient=recipient, subject=subject, body=body,
                          dedupe_key=dedupe_key, created_at=now, next_attempt_at=now)
    if dedupe_key is None:
        db.session.add(message)
        db.session.flush()
        return True
    if db.session.scalar(select(MailMessage.id).where(MailMessage.dedupe_key == dedupe_key)) is not None:
        return False
    try:
        with db.session.begin_nested():  # another process may queue the same key meanwhile
            db.session.add(message)
    except IntegrityError:
        return False
    return True


def pending_for(user_id, kind):
    """Whether a mail of ``kind`` about ``user_id`` waits to be sent."""
    return db.session.scalar(select(MailMessage.id).where(
        MailMessage.user_id == user_id, MailMessage.kind == kind, MailMessage.status == "pending")) is not None


def _record_outcome(message_id, error, permanent=False):
    """Sent when ``error`` is None; else the next attempt after the backoff, or failed once
    that would come more than a day after the mail was queued (or at once when ``permanent``)."""
    message = db.session.get(MailMessage, message_id)
    if message is None:  # erased meanwhile
        db.session.commit()
        return
    finished = clock.utc_naive()
    message.last_attempt_at = finished
    if error is None:
        message.status, message.sent_at, message.last_error = "sent", finished, None
    else:
        message.last_error = error[:500]
        wait = BACKOFF[min(message.attempts, len(BACKOFF)) - 1]
        if permanent or finished + wait > message.created_at + GIVE_UP_AFTER:
            message.status = "failed"
        else:
            message.next_attempt_at = finished + wait
    db.session.commit()


def send_due(config, limit=BATCH):
    """Sends the due mail (at most ``limit``); returns how many were attempted."""
    if not config["SMTP_URL"]:
        return 0
    claimed = periodic.claim_due(MailMessage, clock.utc_naive(), limit, LEASE)
    for message_id in claimed:
        message = db.session.get(MailMessage, message_id)
        if message is None:
            db.session.commit()
            continue
        recipient, subject, body = message.recipient, message.subject, message.body
        if message.kind == "claim_code":
            body = claim_codes.draw_code(message.user_id, config["SECRET_KEY"])  # commits the code's hash
            if body is None:
                _record_outcome(message_id, "the address was proven meanwhile; no code needed", permanent=True)
                continue
        db.session.commit()  # no transaction stays open while the server answers
        try:
            send_now(config["SMTP_URL"], config["MAIL_FROM"], recipient, subject, body)
            error = None
        except SEND_ERRORS as exc:
            error = f"{type(exc).__name__}: {exc}"
        _record_outcome(message_id, error)  # every failure is retried until a day has passed
    return len(claimed)


def send_all(config):
    """Sends everything due now, batch after batch (the command); returns how many were attempted."""
    return periodic.until_empty(lambda: send_due(config))


# -- guardians -------------------------------------------------------------------------------


def set_guardian(student_email, guardian_email):
    """Remembers (or, with None, forgets) the guardian's address for a student's address."""
    contact = db.session.get(GuardianContact, student_email)
    if guardian_email is None:
        if contact is not None:
            db.session.delete(contact)
    elif contact is None:
        db.session.add(GuardianContact(student_email=student_email, guardian_email=guardian_email,
                                       updated_at=clock.utc_naive()))
    else:
        contact.guardian_email, contact.updated_at = guardian_email, clock.utc_naive()
    db.session.flush()


def remember_guardians(pairs):
    """(student email, guardian email) pairs from a roster file: each remembered, the file's
    address replacing an older one."""
    for student_email, guardian_email in pairs:
        set_guardian(student_email, guardian_email)


def forget_user(user):
    """Erasure: every mail about the person (sent or not) and, for a student, their guardian's
    address go (a teacher account may share the address of a student account, which keeps it)."""
    db.session.execute(delete(MailMessage).where(MailMessage.user_id == user.id)
                       .execution_options(synchronize_session=False))
    if user.role == STUDENT:
        db.session.execute(delete(GuardianContact).where(GuardianContact.student_email == user.email))


def outbox(status=None, limit_offset=(None, 0)):
    """The outbox, newest first; only ``status`` when given."""
    limit, offset = limit_offset
    query = select(MailMessage).order_by(MailMessage.id.desc()).offset(offset).limit(limit)
    if status is not None:
        query = query.where(MailMessage.status == status)
    return db.session.scalars(query).all()


def about(user):
    """The mail about ``user``, newest first (their export)."""
    return db.session.scalars(select(MailMessage).where(MailMessage.user_id == user.id)
                              .order_by(MailMessage.id.desc())).all()


def guardian_of(student_email):
    return db.session.scalar(select(GuardianContact.guardian_email)
                             .where(GuardianContact.student_email == student_email))


# -- the weekly low-attendance notice --------------------------------------------------------


def week_of(tz_name):
    year, week, _ = clock.local_naive(tz_name).isocalendar()
    return f"{year}-W{week:02d}"


def weekly_time_reached(tz_name, moment):
    """Whether this week's ``moment`` (weekday, hour, minute: LOW_ATTENDANCE_MAIL_AT) has passed
    on the school's clock; from then until Sunday night the week's notices may be queued."""
    now = clock.local_naive(tz_name)
    return (now.weekday(), now.hour, now.minute) >= tuple(moment)


def _notice(name, rows, threshold, to_guardian):
    who = f"{name}'s attendance" if to_guardian else "Your attendance"
    lines = [f"Hello{'' if to_guardian else ' ' + name},", "",
             f"{who} is under {threshold:g}% in these classes:", ""]
    for r in rows:
        lines.append(f"- {r.class_name} (teacher {r.teacher_email}): {float(r.rate):.1f}% "
                     f"({r.present} present of {r.present + r.absent} counted; {r.excused} excused)")
    lines += ["", "Please talk to the teacher about it.", "", "Rollcall"]
    return "\n".join(lines)


def queue_weekly_notices(tz_name, threshold):
    """Queues this week's low-attendance notice for every student under ``threshold`` in some
    class, to them and to their guardian when one is known; once per student, recipient and
    week, however often it runs. Returns how many mails were queued now."""
    below = term_reports.student_rates(None, tz_name, threshold, only_below=True)
    by_student = {}
    for r in below:
        by_student.setdefault(r.email, []).append(r)
    if not by_student:
        return 0
    students = dict(db.session.execute(select(User.email, User.id).where(
        User.role == STUDENT, User.status == "active", User.email.in_(list(by_student)))).all())
    week, queued = week_of(tz_name), 0
    for email, rows in by_student.items():
        user_id = students.get(email)
        if user_id is None:
            continue
        name = rows[0].name
        subject = f"Attendance under {threshold:g}%: week {week}"
        queued += queue("low_attendance", user_id, email, subject, _notice(name, rows, threshold, False),
                        dedupe_key=f"low:{week}:{user_id}:student")
        guardian = guardian_of(email)
        if guardian:
            queued += queue("low_attendance", user_id, guardian, f"{name}: " + subject,
                            _notice(name, rows, threshold, True), dedupe_key=f"low:{week}:{user_id}:guardian")
    db.session.flush()
    return queued


class _Sender:
    """The periodic task: this week's notices looked for hourly once LOW_ATTENDANCE_MAIL_AT has
    passed, due mail sent every time."""

    def __init__(self, app):
        self.app, self.next_weekly_look = app, None
        self.weekly_moment = weekly_moment_of(app.config["LOW_ATTENDANCE_MAIL_AT"])

    def __call__(self):
        config = self.app.config
        now = clock.utc_naive()
        threshold = config["LOW_ATTENDANCE_THRESHOLD"]
        due = weekly_time_reached(config["TIMEZONE"], self.weekly_moment)
        if threshold is not None and due and (self.next_weekly_look is None or now >= self.next_weekly_look):
            queued = queue_weekly_notices(config["TIMEZONE"], threshold)
            db.session.commit()
            self.next_weekly_look = now + WEEKLY_LOOK_EVERY
            if queued:
                log.info("queued %d low-attendance notices", queued)
        send_all(config)


def start_sender(app):
    """Starts this process's mail sender (services.periodic) every MAIL_SEND_EVERY seconds; None
    when that is 0 or SMTP_URL is unset. Several processes may each run one: mail is claimed."""
    if not app.config["SMTP_URL"]:
        return None
    return periodic.start(app, app.config["MAIL_SEND_EVERY"], _Sender(app), "mail-sender")
