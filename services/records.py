"""The attendance record as every listing shows it: the record joined with its session,
student and teacher. Shared by the reports and by the answers of the writes."""
from sqlalchemy import DateTime, Float, Integer, String, cast, literal, null, select
from sqlalchemy.orm import aliased

from models import AttendanceRecord, ClassSession, RosterInvitation, User

Student, Teacher = aliased(User, name="student"), aliased(User, name="teacher")
Actor = aliased(User, name="actor")


def record_rows():
    return (select(AttendanceRecord.id, AttendanceRecord.status, AttendanceRecord.method,
                   AttendanceRecord.distance, AttendanceRecord.marked_time, AttendanceRecord.created_at,
                   ClassSession.class_name, ClassSession.class_date, ClassSession.starts_at,
                   ClassSession.ends_at, Student.email.label("student_email"),
                   Teacher.email.label("teacher_email"), Teacher.name.label("teacher_name"))
            .join(ClassSession, AttendanceRecord.session_id == ClassSession.id)
            .join(Student, AttendanceRecord.student_id == Student.id)
            .join(Teacher, ClassSession.teacher_id == Teacher.id))


def page(query, limit_offset):
    limit, offset = limit_offset
    if offset:
        query = query.offset(offset)
    if limit is not None:
        query = query.limit(limit)
    return query


def invitation_rows():
    """Roster emails with no student account yet, in the record's columns: no id, status
    ``not_enrolled``, never marked. Listings union them with record_rows()."""
    return (select(cast(null(), Integer).label("id"), literal("not_enrolled", String).label("status"),
                   cast(null(), String).label("method"), cast(null(), Float).label("distance"),
                   cast(null(), DateTime).label("marked_time"), RosterInvitation.created_at,
                   ClassSession.class_name, ClassSession.class_date, ClassSession.starts_at,
                   ClassSession.ends_at, RosterInvitation.email.label("student_email"),
                   Teacher.email.label("teacher_email"), Teacher.name.label("teacher_name"))
            .join(ClassSession, RosterInvitation.session_id == ClassSession.id)
            .join(Teacher, ClassSession.teacher_id == Teacher.id))
