"""Every listing and statistic; each count is computed by the database."""
from datetime import timedelta
from types import SimpleNamespace

from sqlalchemy import and_, case, func, or_, select, union_all

from models import AttendanceRecord, ClassSession, RosterInvitation, db
from services import clock
from services.records import Student, invitation_rows, page, record_rows, sessions_by_id, teacher_listing_rows

LATEST_LIMIT = 100


def _execute(query):
    """Runs a query of plain columns on the session's connection, flushed first as the ORM would:
    the ORM's processing of each row was a large share of a teacher's full listing's CPU."""
    db.session.flush()
    return db.session.connection().execute(query)


def _absent(now):
    return or_(AttendanceRecord.status == "absent", and_(AttendanceRecord.status.is_(None), ClassSession.ends_at < now))


def _with_invitations(records, invitations):
    """A session's records and its invited emails (status not_enrolled) as one listing."""
    return union_all(records, invitations).subquery("listing")


def session_records(session):
    """The session's records and invited emails, by email (the teacher's view of one roster)."""
    rows = _with_invitations(record_rows().where(AttendanceRecord.session_id == session.id),
                             invitation_rows().where(RosterInvitation.session_id == session.id))
    return _execute(select(rows).order_by(rows.c.student_email)).all()


def teacher_records(teacher, limit_offset=(None, 0)):
    """(sessions, rows): the teacher's records and invited emails, newest session first, in
    services.records.teacher_listing_rows()'s shape, and the sessions they belong to."""
    rows = _with_invitations(*teacher_listing_rows(teacher))
    query = select(*(c for c in rows.c if c.name != "starts_at")).order_by(
        rows.c.starts_at.desc(), rows.c.session_id.desc(), rows.c.student_email)
    records = _execute(page(query, limit_offset)).all()
    session_ids = sorted({row[0] for row in records})  # by position: a row's lookup by name is slow
    sessions = _execute(sessions_by_id(session_ids)).all() if records else []
    return sessions, records


def latest_session_records(teacher, tz_name):
    """The records of the teacher's most recent session that has started (running or ended,
    never a future one); none when no session has started yet."""
    now = clock.local_naive(tz_name)
    latest = (select(ClassSession.id).where(ClassSession.teacher_id == teacher.id, ClassSession.starts_at <= now)
              .order_by(ClassSession.starts_at.desc(), ClassSession.id.desc()).limit(1).scalar_subquery())
    return _execute(record_rows().where(AttendanceRecord.session_id == latest).order_by(Student.email)).all()


def student_marked(student, limit_offset=(None, 0)):
    query = (record_rows().where(AttendanceRecord.student_id == student.id, AttendanceRecord.status == "present")
             .order_by(ClassSession.starts_at.desc(), AttendanceRecord.id.desc()))
    return _execute(page(query, limit_offset)).all()


def student_missed(student, tz_name, limit_offset=(None, 0)):
    now = clock.local_naive(tz_name)
    query = (record_rows().where(AttendanceRecord.student_id == student.id, _absent(now))
             .order_by(ClassSession.starts_at.desc(), AttendanceRecord.id.desc()))
    return _execute(page(query, limit_offset)).all()


def student_pending(student, grace_minutes, tz_name):
    now = clock.local_naive(tz_name)
    return _execute(
        record_rows().where(AttendanceRecord.student_id == student.id, AttendanceRecord.status.is_(None),
                             ClassSession.starts_at <= now + timedelta(minutes=grace_minutes),
                             ClassSession.ends_at >= now)
        .order_by(ClassSession.starts_at, AttendanceRecord.id)).all()


def _counts(now):
    # Outer-joined sessions without any record bring one all-NULL row: count records, not rows.
    status, ended = AttendanceRecord.status, ClassSession.ends_at < now
    unmarked = and_(AttendanceRecord.id.is_not(None), status.is_(None))

    def number_where(condition, label):
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0).label(label)

    return (func.count(AttendanceRecord.id).label("total"),
            number_where(status == "present", "present"),
            number_where(or_(status == "absent", and_(unmarked, ended)), "absent"),
            number_where(status == "excused", "excused"),
            number_where(and_(unmarked, ClassSession.ends_at >= now), "pending"),
            number_where(and_(status == "present", AttendanceRecord.late), "late"))


def counts_by_session(teacher, tz_name, limit_offset=(None, 0)):
    now = clock.local_naive(tz_name)
    query = (select(ClassSession.class_name, ClassSession.class_date, *_counts(now))
             .select_from(ClassSession).outerjoin(AttendanceRecord, AttendanceRecord.session_id == ClassSession.id)
             .where(ClassSession.teacher_id == teacher.id)
             .group_by(ClassSession.class_name, ClassSession.class_date)
             .order_by(ClassSession.class_date.desc(), ClassSession.class_name))
    return _execute(page(query, limit_offset)).all()


def counts_by_student_and_class(teacher, tz_name, limit_offset=(None, 0)):
    now = clock.local_naive(tz_name)
    query = (select(Student.email, ClassSession.class_name, *_counts(now))
             .select_from(AttendanceRecord).join(ClassSession, AttendanceRecord.session_id == ClassSession.id)
             .join(Student, AttendanceRecord.student_id == Student.id)
             .where(ClassSession.teacher_id == teacher.id)
             .group_by(Student.email, ClassSession.class_name)
             .order_by(Student.email, ClassSession.class_name))
    return _execute(page(query, limit_offset)).all()


def student_counts(student, tz_name):
    """The student's counts. Their ``total`` is the classes that count toward attendance,
    present + absent, so the cards a client draws from it add up; classes not over yet
    (pending) and excused ones are counted apart."""
    now = clock.local_naive(tz_name)
    row = _execute(
        select(*_counts(now)).select_from(AttendanceRecord)
        .join(ClassSession, AttendanceRecord.session_id == ClassSession.id)
        .where(AttendanceRecord.student_id == student.id)).one()
    return SimpleNamespace(**{**row._asdict(), "total": row.present + row.absent})


def latest_markings(teacher):
    return _execute(
        select(Student.email, AttendanceRecord.marked_time).select_from(AttendanceRecord)
        .join(ClassSession, AttendanceRecord.session_id == ClassSession.id)
        .join(Student, AttendanceRecord.student_id == Student.id)
        .where(ClassSession.teacher_id == teacher.id, AttendanceRecord.status == "present")
        .order_by(AttendanceRecord.marked_time.desc(), AttendanceRecord.id.desc()).limit(LATEST_LIMIT)).all()


def latest_student_records(student):
    return _execute(
        select(ClassSession.class_name, ClassSession.class_date, AttendanceRecord.status)
        .select_from(AttendanceRecord).join(ClassSession, AttendanceRecord.session_id == ClassSession.id)
        .where(AttendanceRecord.student_id == student.id)
        .order_by(ClassSession.starts_at.desc(), AttendanceRecord.id.desc()).limit(LATEST_LIMIT)).all()


def record_row(record_id):
    return _execute(record_rows().where(AttendanceRecord.id == record_id)).one()


def records_by_id(record_ids):
    return _execute(record_rows().where(AttendanceRecord.id.in_(record_ids)).order_by(AttendanceRecord.id)).all()
