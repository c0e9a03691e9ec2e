"""A teacher's roster edits: add and remove students in one session or in every upcoming one.

Added emails without a student account become invitations (services/invitations.py). Every
change is written to roster_events (services/audit.py)."""
from types import SimpleNamespace

from sqlalchemy import delete, select

from models import STUDENT, AttendanceRecord, ClassSession, RosterEvent, RosterInvitation, User, db
from services import audit, clock, invitations
from services.errors import BadInput, Conflict
from services.records import Actor
from services.sessions import change_history, teacher_session

SCOPES = ("session", "upcoming")


def update(teacher, slot, add, remove, scope="session", force=False):
    """Applies the additions and removals to the named session, or with scope ``upcoming`` to it
    and every later session of the same class name by the same teacher.

    Removing a student whose record is marked (present, absent or excused) is refused with 409
    record_marked unless ``force``. Returns the named session, one change per session touched,
    the added emails with no student account (``unknown``), those newly invited anywhere, and the
    removed emails found in no session (``not_on_roster``).
    """
    add, remove = add or [], remove or []
    if not add and not remove:
        raise BadInput("Name students in add_student_email_ids or remove_student_email_ids.",
                       code="missing_field")
    both = [e for e in add if e in remove]
    if both:
        raise BadInput(f"{both[0]} is both added and removed; pick one.", code="bad_field")
    named = teacher_session(teacher, slot)
    targets = [named] if scope == "session" else db.session.scalars(
        select(ClassSession).where(ClassSession.teacher_id == teacher.id, ClassSession.class_name == named.class_name,
                                   ClassSession.starts_at >= named.starts_at)
        .order_by(ClassSession.starts_at, ClassSession.id)).all()
    students = {u.email: u for u in db.session.scalars(
        select(User).where(User.role == STUDENT, ~User.claim_pending, User.email.in_(add + remove)))}
    changes = [_apply(session, teacher, add, remove, students, force) for session in targets]
    db.session.flush()
    removed = {e for c in changes for e in c.removed + c.uninvited}
    invited = {e for c in changes for e in c.invited}
    return SimpleNamespace(session=named, changes=changes, unknown=[e for e in add if e not in students],
                           invited=[e for e in add if e in invited],
                           not_on_roster=[e for e in remove if e not in removed])


def _apply(session, teacher, add, remove, students, force):
    change = SimpleNamespace(session=session, added=[], invited=[], removed=[], uninvited=[])
    records = {email: record for email, record in db.session.execute(
        select(User.email, AttendanceRecord).join(User, AttendanceRecord.student_id == User.id)
        .where(AttendanceRecord.session_id == session.id))}
    invited = invitations.invited_emails(session.id)
    now = clock.utc_naive()
    for email in add:
        if email in students and email not in records:
            db.session.add(AttendanceRecord(session_id=session.id, student_id=students[email].id, created_at=now))
            audit.roster_change(session.id, email, teacher, "added")
            change.added.append(email)
        elif email not in students and email not in invited:
            invitations.invite(session.id, [email])
            audit.roster_change(session.id, email, teacher, "invited")
            change.invited.append(email)
    for email in remove:
        if email in records:
            if _remove(session, records[email], email, teacher, force):
                change.removed.append(email)
        elif email in invited:
            db.session.execute(delete(RosterInvitation).where(RosterInvitation.session_id == session.id,
                                                              RosterInvitation.email == email))
            audit.roster_change(session.id, email, teacher, "uninvited", from_status="not_enrolled")
            change.uninvited.append(email)
    return change


def _remove(session, record, email, teacher, force):
    """Deletes the record; when it is marked, only with ``force``. The condition sits in the
    DELETE, so a check-in landing meanwhile is never removed silently. Returns False when a
    concurrent request removed the record first (that request wrote the roster event)."""
    status, method, marked_time = record.status, record.method, record.marked_time
    query = delete(AttendanceRecord).where(AttendanceRecord.id == record.id)
    if not force:
        query = query.where(AttendanceRecord.status.is_(None))
    if db.session.execute(query.execution_options(synchronize_session=False)).rowcount != 1:
        # Read again rather than refresh: the row may be gone, and refreshing a deleted row raises.
        now_status = db.session.execute(select(AttendanceRecord.status)
                                        .where(AttendanceRecord.id == record.id)).first()
        if now_status is None:
            return False
        raise Conflict(f"{email} is already marked {now_status.status} in {session.class_name} on "
                       f"{session.starts_at:%Y-%m-%d %H:%M}; send force=1 to remove them anyway.",
                       code="record_marked")
    note = None
    if status is not None:
        # The record's own attendance events go with it (ON DELETE CASCADE); this row keeps the gist.
        note = f"removed with force=1; was {status} by {method}" + (
            f" at {marked_time:%Y-%m-%d %H:%M:%S} UTC" if marked_time else "")
    audit.roster_change(session.id, email, teacher, "removed", from_status=status, note=note)
    return True


def history(teacher, slot=None, student_email=None, limit_offset=(None, 0)):
    """The roster changes of the teacher's sessions: one session, one email, or both; newest first."""
    query = (select(RosterEvent.at, RosterEvent.action, RosterEvent.email, RosterEvent.from_status, RosterEvent.note,
                    Actor.email.label("actor_email"), ClassSession.class_name, ClassSession.class_date,
                    ClassSession.starts_at, ClassSession.ends_at)
             .join(ClassSession, RosterEvent.session_id == ClassSession.id))
    return change_history(query, RosterEvent, teacher, slot, student_email, limit_offset,
                          session_column=RosterEvent.session_id, email_column=RosterEvent.email)
