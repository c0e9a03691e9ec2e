"""The attendance audit trail (one row for every change of a record), the roster changes, and
the append-only audit log of recognitions, admin actions, exports and erasures."""
import json

from sqlalchemy import event, select
from sqlalchemy.orm import Session, aliased

from models import AttendanceEvent, AuditEntry, ClassSession, RosterEvent, User, db
from services import clock
from services.records import page


def record_change(record_id, actor, method, from_status, to_status, distance=None, note=None, late=None):
    """One change of a record; ``late`` is its late flag afterwards (None unless present)."""
    db.session.add(AttendanceEvent(record_id=record_id, actor_id=actor.id, at=clock.utc_naive(), method=method,
                                   from_status=from_status, to_status=to_status, distance=distance, note=note,
                                   late=late if to_status == "present" else None))


def roster_change(session_id, email, actor, action, from_status=None, note=None):
    """A roster change (models.ROSTER_ACTIONS): kept in roster_events, which outlives a removed record."""
    db.session.add(RosterEvent(session_id=session_id, email=email, action=action, actor_id=actor.id,
                               at=clock.utc_naive(), from_status=from_status, note=note))
def log(kind, actor=None, subject=None, session_id=None, distance=None, detail=None):
    """Appends one audit entry. ``detail`` (a dict) must hold no personal data of ``subject``."""
    db.session.add(AuditEntry(at=clock.utc_naive(), kind=kind, actor_id=actor.id if actor else None,
                              subject_id=subject.id if subject else None, session_id=session_id,
                              distance=distance, detail=json.dumps(detail, sort_keys=True) if detail else None))


@event.listens_for(Session, "before_flush")
def _append_only(session, _context, _instances):
    if any(isinstance(o, AuditEntry) for o in (*session.dirty, *session.deleted)):
        raise RuntimeError("The audit log is append-only.")


def entries(actor_id=None, subject_id=None, kind=None, limit_offset=(None, 0)):
    """Audit entries newest first, with the actor's and the subject's current email."""
    actor, subject = aliased(User, name="actor"), aliased(User, name="subject")
    query = (select(AuditEntry.id, AuditEntry.at, AuditEntry.kind, AuditEntry.session_id, AuditEntry.distance,
                    AuditEntry.detail, actor.email.label("actor_email"), actor.role.label("actor_role"),
                    subject.email.label("subject_email"), subject.role.label("subject_role"),
                    ClassSession.class_name, ClassSession.starts_at, ClassSession.ends_at)
             .outerjoin(actor, AuditEntry.actor_id == actor.id)
             .outerjoin(ClassSession, AuditEntry.session_id == ClassSession.id)
             .outerjoin(subject, AuditEntry.subject_id == subject.id)
             .order_by(AuditEntry.at.desc(), AuditEntry.id.desc()))
    if actor_id is not None:
        query = query.where(AuditEntry.actor_id == actor_id)
    if subject_id is not None:
        query = query.where(AuditEntry.subject_id == subject_id)
    if kind is not None:
        query = query.where(AuditEntry.kind == kind)
    return db.session.execute(page(query, limit_offset)).all()
