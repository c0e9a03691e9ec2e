"""The attendance record as every listing shows it: the record joined with its session,
student and teacher. Shared by the reports and by the answers of the writes."""
from sqlalchemy import Boolean, DateTime, Float, Integer, String, cast, false, literal, null, select
from sqlalchemy.orm import aliased

from models import AttendanceRecord, ClassSession, RosterInvitation, User

Student, Teacher = aliased(User, name="student"), aliased(User, name="teacher")
Actor = aliased(User, name="actor")


def _record_columns():
    return (AttendanceRecord.id, AttendanceRecord.status, AttendanceRecord.method, AttendanceRecord.distance,
            AttendanceRecord.marked_time, AttendanceRecord.created_at, AttendanceRecord.late,
            AttendanceRecord.minutes_late)


def _session_columns():
    return ClassSession.class_name, ClassSession.class_date, ClassSession.starts_at, ClassSession.ends_at


def _student_columns():
    return Student.email.label("student_email"), Student.name.label("student_name")


def _invited_columns():
    """An invited address in _student_columns(): the email, and no name until they register."""
    return RosterInvitation.email.label("student_email"), cast(null(), String).label("student_name")


def record_rows():
    return (select(*_record_columns(), *_session_columns(), *_student_columns(),
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


def _invitation_columns():
    """A roster email with no student account yet, in _record_columns(): no id, status
    ``not_enrolled``, never marked."""
    return (cast(null(), Integer).label("id"), literal("not_enrolled", String).label("status"),
            cast(null(), String).label("method"), cast(null(), Float).label("distance"),
            cast(null(), DateTime).label("marked_time"), RosterInvitation.created_at,
            cast(false(), Boolean).label("late"), cast(null(), Integer).label("minutes_late"))


def invitation_rows():
    """Invited emails in record_rows()'s columns. Listings union them with record_rows()."""
    return (select(*_invitation_columns(), *_session_columns(), *_invited_columns(),
                   Teacher.email.label("teacher_email"), Teacher.name.label("teacher_name"))
            .join(ClassSession, RosterInvitation.session_id == ClassSession.id)
            .join(Teacher, ClassSession.teacher_id == Teacher.id))


def teacher_listing_rows(teacher):
    """A teacher's records and invited emails, as two queries to union, in a narrower shape:
    the session's id, record_rows()'s own columns, the student's email and name, and the
    session's start to sort on. The session's columns are read once per session
    (sessions_by_id), not once per record: for thousands of records that was a quarter of the
    listing's work."""
    records = (select(AttendanceRecord.session_id, *_record_columns(), *_student_columns(), ClassSession.starts_at)
               .join(ClassSession, AttendanceRecord.session_id == ClassSession.id)
               .join(Student, AttendanceRecord.student_id == Student.id)
               .where(ClassSession.teacher_id == teacher.id))
    invited = (select(RosterInvitation.session_id, *_invitation_columns(), *_invited_columns(),
                      ClassSession.starts_at)
               .join(ClassSession, RosterInvitation.session_id == ClassSession.id)
               .where(ClassSession.teacher_id == teacher.id))
    return records, invited


def sessions_by_id(session_ids):
    return select(ClassSession.id, *_session_columns()).where(ClassSession.id.in_(session_ids))
