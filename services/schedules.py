"""A term's timetable: every session of a class on the given weekdays between two dates, made
in one transaction, leaving the sessions that already exist alone."""
from datetime import timedelta

from sqlalchemy import insert, select, tuple_
from sqlalchemy.exc import IntegrityError

from models import STUDENT, AttendanceRecord, ClassSession, User, db
from services import clock, invitations, presence
from services.errors import BadInput, Conflict
from services.sessions import Slot, latest_roster

MAX_SESSIONS = 400  # a term of daily classes, with room to spare; more is a mistake or a flood
DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def parse_weekdays(text):
    """'mon,wed' (also 'Monday, Wednesday') -> {0, 2}."""
    days = set()
    for item in text.replace(";", ",").split(","):
        item = item.strip().lower()
        if not item:
            continue
        day = next((i for i, name in enumerate(DAY_NAMES) if len(item) >= 3 and name.startswith(item)), None)
        if day is None:
            raise BadInput(f"{item[:20]!r} in weekdays is not a weekday; write for example mon,wed.",
                           code="bad_field")
        days.add(day)
    if not days:
        raise BadInput("The field weekdays is required (for example mon,wed).", code="missing_field")
    return days


def term_dates(weekdays, from_date, to_date, skip_dates=()):
    """Every date from ``from_date`` to ``to_date`` on one of ``weekdays`` (0 = Monday), holidays
    left out. Raises when the term is backwards or would hold more than MAX_SESSIONS sessions."""
    if to_date < from_date:
        raise BadInput("to_date must not be before from_date.", code="bad_date_range")
    skip, dates, day = set(skip_dates), [], from_date
    while day <= to_date:
        if day.weekday() in weekdays and day not in skip:
            dates.append(day)
            if len(dates) > MAX_SESSIONS:
                raise BadInput(f"This schedule would create more than {MAX_SESSIONS} sessions; "
                               "split it into shorter terms.", code="too_many_sessions")
        day += timedelta(days=1)
    return dates


def create_schedule(teacher, class_name, weekdays, start_time, end_time, from_date, to_date,
                    skip_dates=(), roster_emails=None, require_code=False, allow_remote=False):
    """Creates the term's sessions with one unmarked record per known roster student.

    ``allow_remote`` lets the new sessions take self check-ins from outside CHECKIN_NETWORKS.
    ``roster_emails`` None reuses the roster of the teacher's latest session of the class (as
    create_class does). Sessions that already exist (same teacher, class and times) are left
    alone, so the same request twice creates nothing the second time.
    Returns (created sessions, existing sessions, roster emails matching no student).
    """
    slots = [Slot(class_name, day, start_time, end_time)
             for day in term_dates(weekdays, from_date, to_date, skip_dates)]
    if not slots:
        raise BadInput("No date between from_date and to_date falls on these weekdays.", code="no_sessions")
    if roster_emails is None:
        student_ids, unknown = latest_roster(teacher, class_name), []
        waiting = invitations.latest_invited(teacher, class_name)
    else:
        found = dict(db.session.execute(select(User.email, User.id).where(
            User.role == STUDENT, ~User.claim_pending, User.email.in_(roster_emails))).all()) if roster_emails else {}
        student_ids, unknown = list(found.values()), [e for e in roster_emails if e not in found]
        waiting = unknown

    existing = db.session.scalars(
        select(ClassSession).where(ClassSession.teacher_id == teacher.id, ClassSession.class_name == class_name,
                                   tuple_(ClassSession.starts_at, ClassSession.ends_at).in_(
                                       [(s.starts_at, s.ends_at) for s in slots]))
        .order_by(ClassSession.starts_at)).all()
    taken = {(s.starts_at, s.ends_at) for s in existing}
    now = clock.utc_naive()
    new = [s for s in slots if (s.starts_at, s.ends_at) not in taken]
    # Set-based, as the records and invitations below: one INSERT for every new session, one
    # SELECT to read them back, however long the term.
    if new:
        try:
            db.session.execute(insert(ClassSession), [
                {"teacher_id": teacher.id, "class_name": class_name, "class_date": s.starts_at.date(),
                 "starts_at": s.starts_at, "ends_at": s.ends_at, "created_at": now, "allow_remote": allow_remote}
                for s in new])
        except IntegrityError:  # the same term created by a concurrent request
            raise Conflict("Some of these sessions were created meanwhile; send the request again.",
                           code="class_exists") from None
    created = db.session.scalars(
        select(ClassSession).where(ClassSession.teacher_id == teacher.id, ClassSession.class_name == class_name,
                                   tuple_(ClassSession.starts_at, ClassSession.ends_at).in_(
                                       [(s.starts_at, s.ends_at) for s in new]))
        .order_by(ClassSession.starts_at)).all() if new else []
    records = [{"session_id": session.id, "student_id": sid, "created_at": now}
               for session in created for sid in student_ids]
    if records:  # up to 400 x 1,000 rows: one executemany, not one ORM object each
        db.session.execute(insert(AttendanceRecord), records)
    # emails with no account yet join when their student registers: one statement, as the records
    invitations.invite_to_new_sessions([session.id for session in created], waiting)
    if require_code:
        presence.require_code(created)
    db.session.flush()
    return created, existing, unknown
