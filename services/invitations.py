"""Rosters that wait for late registrants: a roster email with no student account is kept as an
invitation; whoever registers as a student with it joins every roster naming them whose session
has not ended. Sessions that ended before they registered stay as they were."""
from sqlalchemy import delete, insert, select

from models import AttendanceRecord, ClassSession, RosterInvitation, db
from services import audit, clock, sessions


def create_session(teacher, slot, roster_emails):
    """sessions.create_session, keeping the emails it cannot place as invitations.

    Without a roster the latest session of the class lends its invitations too, as it lends its
    students. Returns the session, the roster emails matching no student, and the emails invited.
    """
    copied = None if roster_emails is not None else latest_invited(teacher, slot.class_name)
    session, unknown = sessions.create_session(teacher, slot, roster_emails)
    return session, unknown, invite(session.id, unknown if copied is None else copied)


def latest_invited(teacher, class_name):
    latest = (select(ClassSession.id)
              .where(ClassSession.teacher_id == teacher.id, ClassSession.class_name == class_name)
              .order_by(ClassSession.starts_at.desc()).limit(1).scalar_subquery())
    return db.session.scalars(select(RosterInvitation.email).where(RosterInvitation.session_id == latest)
                              .order_by(RosterInvitation.id)).all()


def invited_emails(session_id):
    return set(db.session.scalars(select(RosterInvitation.email).where(RosterInvitation.session_id == session_id)))


def invite(session_id, emails):
    """Invites the emails not invited to this session yet; returns them."""
    new = [e for e in emails if e not in invited_emails(session_id)] if emails else []
    now = clock.utc_naive()
    db.session.add_all(RosterInvitation(session_id=session_id, email=e, created_at=now) for e in new)
    db.session.flush()
    return new


def invite_to_new_sessions(session_ids, emails):
    """Invites every email to every one of these sessions, just created (so none is invited
    yet): one INSERT for them all, however many sessions and emails a term has."""
    emails = list(dict.fromkeys(emails or ()))
    if not session_ids or not emails:
        return
    now = clock.utc_naive()
    db.session.execute(insert(RosterInvitation), [{"session_id": session_id, "email": email, "created_at": now}
                                                   for session_id in session_ids for email in emails])


def join_rosters(student, tz_name):
    """Turns the new student's invitations to sessions that have not ended into records.

    Returns the ids of the sessions joined. Invitations to ended sessions are left as they are,
    so nobody is counted absent from a class held before they had an account.
    """
    now_local, now = clock.local_naive(tz_name), clock.utc_naive()
    waiting = db.session.execute(
        select(RosterInvitation.id, RosterInvitation.session_id)
        .join(ClassSession, RosterInvitation.session_id == ClassSession.id)
        .where(RosterInvitation.email == student.email, ClassSession.ends_at >= now_local)
        .order_by(ClassSession.starts_at)).all()
    if not waiting:
        return []
    db.session.add_all(AttendanceRecord(session_id=w.session_id, student_id=student.id, created_at=now)
                       for w in waiting)
    for w in waiting:
        audit.roster_change(w.session_id, student.email, student, "joined")
    db.session.execute(delete(RosterInvitation).where(RosterInvitation.id.in_([w.id for w in waiting])))
    db.session.flush()
    return [w.session_id for w in waiting]
