"""The attendance audit trail: one row for every change of a record."""
from models import AttendanceEvent, RosterEvent, db
from services import clock


def record_change(record_id, actor, method, from_status, to_status, distance=None, note=None):
    db.session.add(AttendanceEvent(record_id=record_id, actor_id=actor.id, at=clock.utc_naive(), method=method,
                                   from_status=from_status, to_status=to_status, distance=distance, note=note))


def roster_change(session_id, email, actor, action, from_status=None, note=None):
    """A roster change (models.ROSTER_ACTIONS): kept in roster_events, which outlives a removed record."""
    db.session.add(RosterEvent(session_id=session_id, email=email, action=action, actor_id=actor.id,
                               at=clock.utc_naive(), from_status=from_status, note=note))
