"""Class sessions, their rosters, and selfie check-in."""
import ipaddress
import logging
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import NamedTuple

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from models import STUDENT, AttendanceRecord, ClassSession, FaceEncoding, User, db
from services import audit, clock, faces, presence, sealing
from services.errors import BadInput, Conflict, FaceProblem, Forbidden, NotFound, Unavailable
from services.records import Actor, page, record_rows

log = logging.getLogger(__name__)


class Slot:
    """A session's name and local wall-clock times, as the client names it."""

    def __init__(self, class_name, class_date, start_time, end_time):
        self.class_name = class_name
        self.starts_at = datetime.combine(class_date, start_time)
        self.ends_at = datetime.combine(class_date, end_time)
        if self.ends_at <= self.starts_at:
            raise BadInput("end_time must be later than start_time.", code="bad_time_range")

    def matches(self):
        """The conditions that pick this slot's sessions."""
        return (ClassSession.class_name == self.class_name, ClassSession.starts_at == self.starts_at,
                ClassSession.ends_at == self.ends_at)


def _students_by_email(emails):
    if not emails:
        return []
    return db.session.scalars(select(User).where(User.role == STUDENT, ~User.claim_pending, User.email.in_(emails))).all()


def latest_roster(teacher, class_name):
    latest = (select(ClassSession.id)
              .where(ClassSession.teacher_id == teacher.id, ClassSession.class_name == class_name)
              .order_by(ClassSession.starts_at.desc()).limit(1).scalar_subquery())
    return db.session.scalars(select(AttendanceRecord.student_id)
                              .where(AttendanceRecord.session_id == latest)).all()


def create_session(teacher, slot, roster_emails):
    """Creates a session and one unmarked record per known roster student.

    ``roster_emails`` None reuses the roster of the teacher's latest session of that class.
    Returns the session and the roster emails that match no student.
    """
    if roster_emails is None:
        student_ids, unknown = latest_roster(teacher, slot.class_name), []
    else:
        found = _students_by_email(roster_emails)
        known = {s.email for s in found}
        student_ids = [s.id for s in found]
        unknown = [e for e in roster_emails if e not in known]
    now = clock.utc_naive()
    session = ClassSession(teacher_id=teacher.id, class_name=slot.class_name, class_date=slot.starts_at.date(),
                           starts_at=slot.starts_at, ends_at=slot.ends_at, created_at=now)
    db.session.add(session)
    try:
        db.session.flush()
    except IntegrityError:
        raise Conflict("This class session already exists; pick another name, date or time.",
                       code="class_exists") from None
    db.session.add_all(AttendanceRecord(session_id=session.id, student_id=sid, created_at=now)
                       for sid in student_ids)
    db.session.flush()
    return session, unknown


def teacher_session(teacher, slot):
    session = db.session.scalar(select(ClassSession).where(ClassSession.teacher_id == teacher.id, *slot.matches()))
    if session is None:
        if _slot_exists(slot):
            raise Forbidden("This class session belongs to another teacher.", code="not_yours")
        raise NotFound("You have no class session with this name, date and time.", code="no_such_class")
    return session


def change_history(query, event, teacher, slot, student_email, limit_offset, session_column, email_column):
    """One page of the changes (``event``: RosterEvent or AttendanceEvent) made in the teacher's
    sessions, newest first. ``query`` selects their columns (``Actor.email`` for who made each)
    joined to ClassSession; ``slot`` keeps one session's changes (``session_column`` names the
    session), ``student_email`` one email's (``email_column``)."""
    query = (query.join(Actor, event.actor_id == Actor.id)
             .where(ClassSession.teacher_id == teacher.id)
             .order_by(event.at.desc(), event.id.desc()))
    if slot is not None:
        query = query.where(session_column == teacher_session(teacher, slot).id)
    if student_email is not None:
        query = query.where(email_column == student_email)
    return db.session.execute(page(query, limit_offset)).all()


def _slot_exists(slot):
    return db.session.scalar(select(ClassSession.id).where(*slot.matches()).limit(1)) is not None


def opens_at(session, grace_minutes):
    """When marking a session's attendance may begin: its start minus the grace period."""
    return session.starts_at - timedelta(minutes=grace_minutes)


def check_open(session, rules):
    """Refuses (409 not_open) outside a session's check-in window: from its start minus the grace
    period to its end, on the school's clock."""
    now = clock.local_naive(rules.timezone)
    opening = opens_at(session, rules.grace_minutes)
    if now < opening:
        raise Conflict(f"Check-in for this class opens at {opening:%Y-%m-%d %H:%M}.", code="not_open")
    if now > session.ends_at:
        raise Conflict(f"This class ended at {session.ends_at:%Y-%m-%d %H:%M}; check-in is closed.",
                       code="not_open")


def templates(student_ids, face_key, unreadable=None):
    """(owner ids, matrix) of every enrolled face of the given students, and of nobody else,
    unsealed with ``face_key`` (a key or a sealing.KeyRing).

    A template no key opens is the server's configuration, not the caller's request: without
    ``unreadable`` it refuses (503 face_key_mismatch); with it (a list: a class photo, a
    kiosk), its owner's id is added there and the rest of the roster is still matched."""
    query = select(FaceEncoding.user_id, FaceEncoding.encoding).where(FaceEncoding.user_id.in_(student_ids))
    rows = db.session.execute(query.order_by(FaceEncoding.user_id, FaceEncoding.id)).all()
    opened = []
    for owner, raw in rows:
        try:
            opened.append((owner, sealing.unseal(face_key, owner, raw)))
        except sealing.KeyMismatch as exc:
            if unreadable is None:
                raise Unavailable(str(exc), code="face_key_mismatch") from None
            log.error("face template of user %s skipped: %s", owner, exc)
            if owner not in unreadable:
                unreadable.append(owner)
    return faces.gallery(opened)


def within_school(address, networks):
    """Whether ``address`` (text; an IPv4 address may arrive IPv6-mapped) is in one of ``networks``."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip in network for network in networks if network.version == ip.version)


def check_network(allow_remote, client_address, rules):
    """Refuses (403 outside_school_network) a self check-in from outside CHECKIN_NETWORKS, unless
    none are set or the session allows remote check-in. The address is only compared, never kept."""
    if rules.checkin_networks and not allow_remote and not within_school(client_address, rules.checkin_networks):
        raise Forbidden("Check in from the school's network: this class does not accept check-ins from "
                        "elsewhere.", code="outside_school_network")


def check_in(student, slot, image, rules, presence_code=None, client_address=None):
    """Selfie check-in: on the roster, from the school's network (CHECKIN_NETWORKS) unless the
    session allows remote check-in, session open, unmarked, the presence code if the session
    requires one, and the face verifies.

    Returns the marked record as the listings show it.
    """
    record = db.session.execute(presence.with_secret(record_rows()).add_columns(ClassSession.allow_remote)
                                .where(AttendanceRecord.student_id == student.id, *slot.matches())).first()
    if record is None:
        if not _slot_exists(slot):
            raise NotFound("There is no class session with this name, date and time.", code="no_such_class")
        raise Forbidden("You are not on the roster of this class session.", code="not_on_roster")
    check_network(record.allow_remote, client_address, rules)
    check_open(record, rules)
    if record.status is not None:
        raise Conflict(f"Attendance is already recorded as {record.status}.", code="already_marked")
    presence.check(record.presence_secret, presence_code)
    _, known = templates([student.id], rules.face_key)
    if not len(known):
        raise Conflict("You have no face enrolled; enroll one with add_face first.", code="no_face_enrolled")
    probes = faces.probe_encodings(image, rules.max_selfie_pixels)
    distance = faces.verify(probes, known)
    if distance > rules.face_tolerance:
        raise FaceProblem("The face in the selfie does not match your enrolled face.", code="face_mismatch")
    arrival = lateness(record.starts_at, rules)
    marked_time = mark_present(record.id, student, "selfie", distance, arrival)
    if marked_time is None:
        raise Conflict("Attendance is already recorded for this class.", code="already_marked")
    return SimpleNamespace(**{**record._asdict(), "status": "present", "method": "selfie",
                               "distance": distance, "marked_time": marked_time, "presence_secret": None,
                               "late": arrival.late, "minutes_late": arrival.minutes_late})


class Arrival(NamedTuple):
    """Whether a check-in came late, and by how many whole minutes after the start."""
    late: bool = False
    minutes_late: int | None = None


ON_TIME = Arrival()


def lateness(starts_at, rules):
    """A check-in now, for a session starting at ``starts_at`` (school clock): late when more than
    LATE_AFTER_MINUTES after the start. Minutes are whole ones, counted down."""
    elapsed = clock.local_naive(rules.timezone) - starts_at
    if elapsed <= timedelta(minutes=rules.late_after_minutes):
        return ON_TIME
    return Arrival(True, int(elapsed.total_seconds() // 60))


def mark_present(record_id, actor, method, distance, arrival=ON_TIME):
    """Marks an unmarked record present (late as ``arrival`` says) and returns when; None when
    it was marked meanwhile.

    The condition sits in the UPDATE itself, so of concurrent markings exactly one wins.
    """
    now = clock.utc_naive()
    marked = db.session.execute(
        update(AttendanceRecord).where(AttendanceRecord.id == record_id, AttendanceRecord.status.is_(None))
        .values(status="present", method=method, distance=distance, marked_time=now, late=arrival.late,
                minutes_late=arrival.minutes_late)
        .execution_options(synchronize_session=False))
    if marked.rowcount != 1:
        return None
    audit.record_change(record_id, actor, method, None, "present", distance, late=arrival.late)
    return now
