"""Invitations claimed with proof (VERIFY_INVITED_EMAILS): a new student joins the rosters that
invited their address only once the address is proven, by a one-time code mailed to it or by
the inviting teacher or an administrator confirming. Until then the account exists and works,
but rosters see the address as an invitation (users.claim_pending), so no roster, old or new,
takes the student in.

A code (services/claim_codes.py) is drawn by the mail sender when it sends the mail and stored
only as an HMAC; it allows MAX_ATTEMPTS guesses, and a new request replaces it, at most once per
RESEND_AFTER and MAX_CODES_PER_DAY times a day.
"""
import hmac
from datetime import timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from models import ADMIN, STUDENT, AuditEntry, ClassSession, EmailClaim, RosterInvitation, User, db
from services import audit, clock, invitations, mail
from services.claim_codes import digest
from services.errors import BadInput, Conflict, Forbidden, NotFound, TooManyAttempts

MAX_ATTEMPTS = 5
RESEND_AFTER = timedelta(seconds=60)
# Each code brings MAX_ATTEMPTS fresh guesses: without a daily cap an impostor asking for a code
# every minute would have thousands of guesses a day at a million codes.
MAX_CODES_PER_DAY = 10
SUBJECT = "Your Rollcall code"


def start(student, rules):
    """At registration: under VERIFY_INVITED_EMAILS the new student waits for proof; when some
    roster invited the address and mail is on, the first code is queued at once."""
    if not rules.verify_invited_emails:
        return False
    student.claim_pending = True
    db.session.flush()
    if rules.mail_on and waiting_sessions(student):
        request_code(student, rules)
    return True


def waiting_sessions(student):
    """How many sessions have invited this address."""
    return db.session.scalar(select(func.count()).select_from(RosterInvitation)
                             .where(RosterInvitation.email == student.email))


def _pending(student):
    if not student.claim_pending:
        raise Conflict("Your address is already proven; there is nothing to claim.", code="already_verified")


def request_code(student, rules):
    """Queues a mail with a fresh code (the sender draws it). Refused when mail is off, when the
    address is proven, or within RESEND_AFTER of the last request."""
    _pending(student)
    if not rules.mail_on:
        raise Conflict("This server sends no mail (SMTP_URL is unset): ask your teacher or an administrator "
                       "to confirm your address.", code="mail_off")
    now = clock.utc_naive()
    claim = db.session.get(EmailClaim, student.id)
    if claim is not None and now < claim.requested_at + RESEND_AFTER:
        wait = int((claim.requested_at + RESEND_AFTER - now).total_seconds()) + 1
        raise TooManyAttempts(f"A code was asked for a moment ago; ask again in {wait} s.", code="code_requested")
    # counted from the audit log, which keeps every request (the outbox folds one waiting to be sent)
    asked_today = db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.subject_id == student.id, AuditEntry.kind == "email.code_requested",
        AuditEntry.at > now - timedelta(days=1)))
    if asked_today >= MAX_CODES_PER_DAY:
        raise TooManyAttempts(f"{MAX_CODES_PER_DAY} codes were sent in the last 24 hours; ask your teacher to "
                              "confirm your address, or try again tomorrow.", code="too_many_codes_today")
    if claim is None:
        try:
            with db.session.begin_nested():  # a parallel first request may insert it meanwhile
                db.session.add(EmailClaim(user_id=student.id, requested_at=now))
        except IntegrityError:
            raise TooManyAttempts("A code was asked for a moment ago; ask again in a minute.",
                                  code="code_requested") from None
    else:
        claim.requested_at = now
    if not mail.pending_for(student.id, "claim_code"):
        mail.queue("claim_code", student.id, student.email, SUBJECT, None)
    audit.log("email.code_requested", student, student)
    db.session.flush()


def submit_code(student, code, rules, secret_key):
    """Proves the address with ``code``; returns the ids of the sessions joined.

    A guess is counted (and committed) before it is compared, by a conditional UPDATE, so
    parallel guesses cannot pass MAX_ATTEMPTS: the one write a refused request keeps."""
    _pending(student)
    claim = db.session.get(EmailClaim, student.id)
    if claim is None or claim.code_hash is None:
        raise Conflict("No code has been sent yet; ask for one (request_email_code).", code="no_code")
    if clock.utc_naive() >= claim.expires_at:
        raise Conflict("This code has expired; ask for a new one (request_email_code).", code="code_expired")
    expected = claim.code_hash
    counted = db.session.execute(
        update(EmailClaim).where(EmailClaim.user_id == student.id, EmailClaim.attempts < MAX_ATTEMPTS,
                                 EmailClaim.code_hash == expected)
        .values(attempts=EmailClaim.attempts + 1).returning(EmailClaim.attempts)
        .execution_options(synchronize_session=False)).scalar()
    db.session.commit()
    if counted is None:
        raise TooManyAttempts("Too many wrong codes; ask for a new one (request_email_code).",
                              code="too_many_codes")
    if not hmac.compare_digest(expected, digest(secret_key, student.id, code)):
        left = MAX_ATTEMPTS - counted
        raise BadInput(f"This is not the code that was sent; {left} tries left.", code="wrong_code")
    return _prove(student, student, "code", rules)


def confirm(actor, student_email, rules):
    """An administrator, or a teacher who invited the address, vouches for it; returns the
    student and the ids of the sessions joined."""
    student = db.session.scalar(select(User).where(User.email == student_email, User.role == STUDENT))
    if student is None:
        raise NotFound("No student account has this email.", code="no_such_student")
    _pending(student)
    if actor.role != ADMIN:
        invited = db.session.scalar(
            select(RosterInvitation.id).join(ClassSession, RosterInvitation.session_id == ClassSession.id)
            .where(RosterInvitation.email == student.email, ClassSession.teacher_id == actor.id).limit(1))
        if invited is None:
            raise Forbidden("Only a teacher who invited this address, or an administrator, can confirm it.",
                            code="not_your_invitation")
    return student, _prove(student, actor, "admin" if actor.role == ADMIN else "teacher", rules)


def awaiting(actor, limit_offset=(None, 0)):
    """Students whose address awaits proof, with how many sessions invited it: for a teacher,
    those their sessions invited (counting their sessions); for an administrator, all."""
    limit, offset = limit_offset
    invites = select(RosterInvitation.email, func.count().label("sessions")).group_by(RosterInvitation.email)
    if actor.role != ADMIN:
        invites = invites.join(ClassSession, RosterInvitation.session_id == ClassSession.id).where(
            ClassSession.teacher_id == actor.id)
    invites = invites.subquery()
    query = (select(User.email, User.name, User.created_at, func.coalesce(invites.c.sessions, 0).label("sessions"))
             .where(User.role == STUDENT, User.claim_pending, User.status == "active")
             .order_by(User.created_at, User.id).offset(offset).limit(limit))
    if actor.role == ADMIN:
        query = query.outerjoin(invites, invites.c.email == User.email)
    else:
        query = query.join(invites, invites.c.email == User.email)
    return db.session.execute(query).all()


def _prove(student, actor, how, rules):
    student.claim_pending = False
    db.session.execute(delete(EmailClaim).where(EmailClaim.user_id == student.id))
    joined = invitations.join_rosters(student, rules.timezone)
    audit.log("email.verified", actor, student, detail={"by": how, "sessions_joined": len(joined)})
    db.session.flush()
    return joined


def forget(user):
    """Erasure: the claim and every mail about the person go."""
    db.session.execute(delete(EmailClaim).where(EmailClaim.user_id == user.id))
    mail.forget_user(user)
