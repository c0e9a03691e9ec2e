"""A teacher's manual corrections, and the history of every change to a record."""
from sqlalchemy import select, update

from models import STUDENT, AttendanceEvent, AttendanceRecord, ClassSession, User, db
from services import audit, clock
from services.errors import BadInput, Conflict, NotFound
from services.records import Actor, Student
from services.sessions import change_history, teacher_session


def set_status(teacher, slot, student_email, status, note, late=None):
    """A teacher's correction of one record; returns the record's id.

    ``late`` True or False sets or clears the late flag of a present record by hand (its minutes
    are kept only while it stays late); None keeps the flag of a record that stays present and
    clears it otherwise."""
    if late and status != "present":
        raise BadInput("Only a present student can be late; send status=present with late=1.",
                       code="late_needs_present")
    session = teacher_session(teacher, slot)
    record = db.session.scalar(select(AttendanceRecord).join(User, AttendanceRecord.student_id == User.id).where(
        AttendanceRecord.session_id == session.id, User.email == student_email, User.role == STUDENT))
    if record is None:
        raise NotFound("This student is not on the roster of this class session.", code="not_on_roster")
    new_late = (record.late if record.status == "present" else False) if late is None else late
    new_late = new_late and status == "present"
    if record.status == status and record.late == new_late and not note:
        return record.id
    previous = record.status
    # One UPDATE that names the record: a roster removal that deleted it meanwhile leaves
    # nothing to update, which is a conflict, not a crash.
    changed = db.session.execute(
        update(AttendanceRecord).where(AttendanceRecord.id == record.id)
        .values(status=status, method="manual", distance=None, late=new_late,
                marked_time=clock.utc_naive() if status == "present" else None,
                **({} if new_late else {"minutes_late": None}))
        .execution_options(synchronize_session=False)).rowcount
    if changed != 1:
        raise Conflict("This student was removed from this class session meanwhile.", code="roster_changed")
    db.session.expire(record)
    audit.record_change(record.id, teacher, "manual", previous, status, note=note, late=new_late)
    db.session.flush()
    return record.id


def history(teacher, slot=None, student_email=None, limit_offset=(None, 0)):
    """The audit trail of the teacher's sessions: one session, one student, or both."""
    query = (select(AttendanceEvent.id, AttendanceEvent.at, AttendanceEvent.method, AttendanceEvent.from_status,
                    AttendanceEvent.to_status, AttendanceEvent.distance, AttendanceEvent.note, AttendanceEvent.late,
                    Actor.email.label("actor_email"), Student.email.label("student_email"),
                    ClassSession.class_name, ClassSession.class_date, ClassSession.starts_at, ClassSession.ends_at)
             .join(AttendanceRecord, AttendanceEvent.record_id == AttendanceRecord.id)
             .join(ClassSession, AttendanceRecord.session_id == ClassSession.id)
             .join(Student, AttendanceRecord.student_id == Student.id))
    return change_history(query, AttendanceEvent, teacher, slot, student_email, limit_offset,
                          session_column=ClassSession.id, email_column=Student.email)
