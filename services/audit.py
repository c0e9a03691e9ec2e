"""The attendance audit trail: one row for every change of a record."""
from models import AttendanceEvent, db
from services import clock


def record_change(record_id, actor, method, from_status, to_status, distance=None, note=None):
    db.session.add(AttendanceEvent(record_id=record_id, actor_id=actor.id, at=clock.utc_naive(), method=method,
                                   from_status=from_status, to_status=to_status, distance=distance, note=note))
