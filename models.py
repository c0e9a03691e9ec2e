"""Database schema. Constraints live here so the database refuses what code forgot to check."""
import enum
from datetime import date, datetime

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import (Boolean, CheckConstraint, Date, DateTime, Float, ForeignKey, Index, Integer, LargeBinary,
                        MetaData, SmallInteger, String, Text, UniqueConstraint, false)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# Named constraints keep migrations identical on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

class Role(enum.IntEnum):
    """An account's role; its value is the contract's ``user_type``."""
    STUDENT = 0
    TEACHER = 1
    ADMIN = 2  # the school's IT: approves teachers, erases accounts, reads the audit log

    __str__ = int.__repr__  # "1" in SQL and text on every Python, as 3.11's IntEnum already does
    __format__ = int.__format__

    @property
    def label(self):
        return self.name.lower()

    @property
    def plural(self):
        return "administrators" if self is Role.ADMIN else self.label + "s"


STUDENT, TEACHER, ADMIN = Role.STUDENT, Role.TEACHER, Role.ADMIN
USER_STATUSES = ("active", "pending_approval", "suspended", "erased")
FACE_SOURCES = ("enrollment", "add_face")
STATUSES = ("present", "absent", "excused")
METHODS = ("selfie", "photo", "manual", "kiosk", "auto")  # auto: marked absent when its session closed


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


db = SQLAlchemy(model_class=Base)


class User(db.Model):
    __tablename__ = "users"
    __table_args__ = (
        UniqueConstraint("email", "role", name="uq_users_email_role"),
        CheckConstraint("role IN (0, 1, 2)", name="role"),
        CheckConstraint("status IN ('active', 'pending_approval', 'suspended', 'erased')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    role: Mapped[int] = mapped_column(SmallInteger)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    # erased: the row stays, scrubbed of every personal detail, so the register keeps its records
    status: Mapped[str] = mapped_column(String(20), default="active", server_default="active")
    # the last login; FACE_RETENTION_DAYS counts from it or the last recognition, whichever is later
    last_seen_at: Mapped[datetime | None] = mapped_column(DateTime)
    # VERIFY_INVITED_EMAILS: a student who has not proven their address yet. Rosters treat them
    # as an invitation to the address, not as a student, until a code or a teacher proves it.
    claim_pending: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    faces: Mapped[list["FaceEncoding"]] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True)


class FaceEncoding(db.Model):
    """One enrolled face: dlib's 128 float64 values, sealed (services/sealing.py). Biometric
    data: never sent out."""
    __tablename__ = "face_encodings"
    __table_args__ = (CheckConstraint("source IN ('enrollment', 'add_face')", name="source"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    encoding: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    # how it was enrolled: with the account (enrollment) or later (add_face)
    source: Mapped[str] = mapped_column(String(16), default="enrollment", server_default="enrollment")

    user: Mapped[User] = relationship(back_populates="faces")


class Token(db.Model):
    """A login token, kept only as the SHA-256 digest of what the client holds."""
    __tablename__ = "tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime)

    user: Mapped[User] = relationship()


class ClassSession(db.Model):
    """One meeting of a class. Times are the school's local wall-clock times (naive)."""
    __tablename__ = "class_sessions"
    __table_args__ = (
        UniqueConstraint("teacher_id", "class_name", "starts_at", "ends_at",
                         name="uq_class_sessions_teacher_slot"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        # A teacher's sessions newest first (listings, the latest session) without a sort.
        Index("ix_class_sessions_teacher_id_starts_at", "teacher_id", "starts_at"),
        # A session found by its slot alone (check-in, when the student is not on its roster).
        Index("ix_class_sessions_starts_at", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    teacher_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    class_name: Mapped[str] = mapped_column(String(200))
    # class_date repeats starts_at's date so per-day statistics can GROUP BY a plain column.
    class_date: Mapped[date] = mapped_column(Date)
    starts_at: Mapped[datetime] = mapped_column(DateTime)
    ends_at: Mapped[datetime] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    # when the closing job marked its unmarked students absent (UTC); NULL: not closed yet
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    # an online class: self check-in is accepted from outside CHECKIN_NETWORKS
    allow_remote: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    teacher: Mapped[User] = relationship()


class AttendanceRecord(db.Model):
    """One student in one session. status NULL means nobody has marked it yet."""
    __tablename__ = "attendance_records"
    __table_args__ = (
        UniqueConstraint("session_id", "student_id", name="uq_attendance_records_session_student"),
        CheckConstraint("status IN ('present', 'absent', 'excused')", name="status"),
        CheckConstraint("method IN ('selfie', 'photo', 'manual', 'kiosk', 'auto')", name="method"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("class_sessions.id", ondelete="CASCADE"))
    student_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    status: Mapped[str | None] = mapped_column(String(16))
    method: Mapped[str | None] = mapped_column(String(16))
    distance: Mapped[float | None] = mapped_column(Float)
    marked_time: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    # present but arrived more than LATE_AFTER_MINUTES after the start (a tardy); status stays
    # "present" so clients that know only the three statuses keep reading it right
    late: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # whole minutes after the session's start, for a check-in found late; NULL otherwise
    minutes_late: Mapped[int | None] = mapped_column(Integer)

    session: Mapped[ClassSession] = relationship()
    student: Mapped[User] = relationship()


class AttendanceEvent(db.Model):
    """The audit trail: every change of a record, by whom, how and from what to what."""
    __tablename__ = "attendance_events"
    __table_args__ = (CheckConstraint("method IN ('selfie', 'photo', 'manual', 'kiosk')", name="method"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("attendance_records.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(DateTime)
    method: Mapped[str] = mapped_column(String(16))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    distance: Mapped[float | None] = mapped_column(Float)
    note: Mapped[str | None] = mapped_column(Text)
    # the record's late flag after this change (NULL: not present)
    late: Mapped[bool | None] = mapped_column(Boolean)

    actor: Mapped[User] = relationship()


class AuditEntry(db.Model):
    """Append-only: recognitions by class photo, admin actions, exports, erasures. The code
    never deletes a row and updates one only to erase a person (services.privacy.scrub_mentions
    replaces their address or name in ``detail``)."""
    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_subject_id_at", "subject_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, index=True)
    kind: Mapped[str] = mapped_column(String(40), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    subject_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    session_id: Mapped[int | None] = mapped_column(ForeignKey("class_sessions.id", ondelete="SET NULL"))
    distance: Mapped[float | None] = mapped_column(Float)
    detail: Mapped[str | None] = mapped_column(Text)


class Review(db.Model):
    __tablename__ = "reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class RosterInvitation(db.Model):
    """A roster email with no student account yet. Whoever registers as a student with it joins
    the session's roster then, unless the session has ended by that time."""
    __tablename__ = "roster_invitations"
    __table_args__ = (UniqueConstraint("session_id", "email", name="uq_roster_invitations_session_email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("class_sessions.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(254), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)


ROSTER_ACTIONS = ("added", "invited", "joined", "removed", "uninvited")


class RosterEvent(db.Model):
    """The audit trail of roster changes: who added, invited, removed whom, from which session.
    Apart from attendance_events because removing a student deletes their record (and, by
    cascade, that record's events); this row outlives it and keeps what the record said."""
    __tablename__ = "roster_events"
    __table_args__ = (CheckConstraint("action IN ('added', 'invited', 'joined', 'removed', 'uninvited')",
                                      name="action"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("class_sessions.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(DateTime)
    from_status: Mapped[str | None] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
class PresenceSecret(db.Model):
    """The TOTP secret of a session that requires a presence code. Never sent out: the teacher
    gets only the current code, students type it."""
    __tablename__ = "presence_secrets"

    session_id: Mapped[int] = mapped_column(ForeignKey("class_sessions.id", ondelete="CASCADE"), primary_key=True)
    secret: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime)


LEAVE_STATUSES = ("pending", "approved", "refused")


class LeaveRequest(db.Model):
    """A student's request to be excused from one session of their roster, with a reason, and
    the teacher's answer. One per student and session: asked again after a refusal, the same
    row is pending again (the audit log keeps every step)."""
    __tablename__ = "leave_requests"
    __table_args__ = (
        UniqueConstraint("session_id", "student_id", name="uq_leave_requests_session_student"),
        CheckConstraint("status IN ('pending', 'approved', 'refused')", name="status"),
        # A teacher's pending requests, oldest first, without a sort of every request ever made.
        Index("ix_leave_requests_status_session_id", "status", "session_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("class_sessions.id", ondelete="CASCADE"))
    student_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending", server_default="pending")
    requested_at: Mapped[datetime] = mapped_column(DateTime)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    teacher_note: Mapped[str | None] = mapped_column(Text)


WEBHOOK_EVENTS = ("attendance.marked", "attendance.changed", "session.closed", "student.low_attendance",
                  "leave.requested", "leave.decided")
DELIVERY_STATUSES = ("pending", "delivered", "failed")


class Webhook(db.Model):
    """An endpoint an administrator registered to be told of ``events`` (comma-separated). The
    secret signs each delivery, so it must be kept as it is; it is shown once, at creation."""
    __tablename__ = "webhooks"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(2000))
    events: Mapped[str] = mapped_column(String(500))
    secret: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class WebhookDelivery(db.Model):
    """One event for one webhook: the outbox the sender works through, and the outcome the
    administrator reads. Written in the same transaction as the change it reports."""
    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'delivered', 'failed')", name="status"),
        # the sender's question: which pending deliveries are due now
        Index("ix_webhook_deliveries_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    webhook_id: Mapped[int] = mapped_column(ForeignKey("webhooks.id", ondelete="CASCADE"), index=True)
    event_id: Mapped[str] = mapped_column(String(40))
    event_type: Mapped[str] = mapped_column(String(40))
    body: Mapped[str] = mapped_column(Text)  # the JSON sent, exactly as signed
    status: Mapped[str] = mapped_column(String(16), default="pending", server_default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(DateTime)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime)
    last_attempt_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(String(500))
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime)


class EmailClaim(db.Model):
    """A student's pending proof of their address (VERIFY_INVITED_EMAILS): the code mailed last,
    kept only as an HMAC under SECRET_KEY, when it expires and how many guesses it has had. The
    code is drawn by the mail sender when it sends it, so no code is ever stored in clear, not
    even in the outbox."""
    __tablename__ = "email_claims"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    code_hash: Mapped[str | None] = mapped_column(String(64))  # NULL: asked for, not sent yet
    expires_at: Mapped[datetime | None] = mapped_column(DateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    requested_at: Mapped[datetime] = mapped_column(DateTime)  # the last request, to space resends


class GuardianContact(db.Model):
    """A guardian's address for a student's address, from a roster file's guardian_email column
    or given by the student. Keyed by the student's address, so a roster can name the guardian
    of a student who has no account yet. Erasing the student deletes it."""
    __tablename__ = "guardian_contacts"

    student_email: Mapped[str] = mapped_column(String(254), primary_key=True)
    guardian_email: Mapped[str] = mapped_column(String(254))
    updated_at: Mapped[datetime] = mapped_column(DateTime)


MAIL_KINDS = ("low_attendance", "claim_code")
MAIL_STATUSES = ("pending", "sent", "failed")


class MailMessage(db.Model):
    """The mail outbox: written in the same transaction as what it tells, sent later by the mail
    sender (never inside the request), retried with backoff; each attempt's outcome kept.
    ``dedupe_key`` makes queuing the weekly notices idempotent, however many processes do it."""
    __tablename__ = "mail_outbox"
    __table_args__ = (
        CheckConstraint("kind IN ('low_attendance', 'claim_code')", name="kind"),
        CheckConstraint("status IN ('pending', 'sent', 'failed')", name="status"),
        Index("ix_mail_outbox_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    # the student the mail is about: erasing them deletes their mail, sent or not
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str | None] = mapped_column(Text)  # NULL for a claim code: written when sent
    dedupe_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="pending", server_default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(DateTime)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime)
    last_attempt_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_error: Mapped[str | None] = mapped_column(String(500))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)
