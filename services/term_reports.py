"""Attendance over a term: each student's counts and rate (computed by the database), who is
below the required minimum, and the student-by-session grid the exports write.

What counts: a session counts for a student once it has ended, or earlier when their record is
already marked. Present, absent (marked absent, or unmarked when the session ended) and excused
add up to those sessions. The rate is present / (present + absent): an excused session counts
neither for nor against; with nothing to count the rate is None (and never flagged).
A late arrival (a tardy) is present, so it counts toward the rate; tardies are also counted apart,
with their own rate: tardies / (present + absent).
"""
from dataclasses import dataclass

from sqlalchemy import and_, case, func, literal, or_, select
from sqlalchemy.orm import aliased

from models import AttendanceRecord, ClassSession, User, db
from services import categories, clock
from services.errors import NotFound

MARKS = {"present": "P", "absent": "A", "excused": "E"}
LATE_MARK = "L"  # present, late: counts as present
Teacher = aliased(User, name="teacher")


def _date_range(from_date, to_date):
    conditions = []
    if from_date is not None:
        conditions.append(ClassSession.class_date >= from_date)
    if to_date is not None:
        conditions.append(ClassSession.class_date <= to_date)
    return conditions


def _number_where(condition, label):
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0).label(label)


def student_rates(teacher, tz_name, threshold, class_name=None, from_date=None, to_date=None, only_below=False,
                  student_ids=None):
    """Per student and class of the teacher's: held, present, absent, excused, rate (%) and
    below (rate under ``threshold``), the students below first (lowest rate first), then by email.

    Without ``class_name`` the rows cover every class of the teacher's (``teacher`` None: of
    the whole school); ``only_below`` keeps only the students below the threshold. Everything
    is counted, compared and sorted in SQL. ``student_ids`` keeps only those students.
    """
    now = clock.local_naive(tz_name)
    status, ended = AttendanceRecord.status, ClassSession.ends_at < now
    present = _number_where(status == "present", "present")
    absent = _number_where(or_(status == "absent", and_(status.is_(None), ended)), "absent")
    tardy = _number_where(and_(status == "present", AttendanceRecord.late), "tardy")
    # Counted per student id first, the names joined to the few rows left: grouping 120,000
    # records by ids is twice as fast as grouping them by email and name as well (SQLite).
    counts = (select(AttendanceRecord.student_id, ClassSession.teacher_id, ClassSession.class_name,
                     _number_where(or_(status.is_not(None), ended), "held"), present, absent,
                     _number_where(status == "excused", "excused"), tardy)
              .select_from(AttendanceRecord).join(ClassSession, AttendanceRecord.session_id == ClassSession.id)
              .where(*_date_range(from_date, to_date))
              .group_by(AttendanceRecord.student_id, ClassSession.teacher_id, ClassSession.class_name))
    if teacher is not None:
        counts = counts.where(ClassSession.teacher_id == teacher.id)
    if class_name is not None:
        counts = counts.where(ClassSession.class_name == class_name)
    if student_ids is not None:
        counts = counts.where(AttendanceRecord.student_id.in_(list(student_ids)))
    if only_below:
        counts = counts.having(_below(present, absent, threshold))
    counts = counts.subquery()
    below = _below(counts.c.present, counts.c.absent, threshold)
    counted = func.nullif(counts.c.present + counts.c.absent, 0)
    rate = 100.0 * counts.c.present / counted
    return db.session.execute(
        select(User.email, User.name, Teacher.email.label("teacher_email"), counts.c.class_name, counts.c.held,
               counts.c.present, counts.c.absent, counts.c.excused, rate.label("rate"), counts.c.tardy,
               (100.0 * counts.c.tardy / counted).label("tardy_rate"),
               case((below, 1), else_=0).label("below"))
        .join(User, User.id == counts.c.student_id).join(Teacher, Teacher.id == counts.c.teacher_id)
        .order_by(case((below, 0), else_=1), case((below, rate)), User.email, counts.c.class_name)).all()


def _below(present, absent, threshold):
    """Rate under the threshold, compared in integers and a float, never on a rounded rate."""
    return and_(present + absent > 0, present * 100 < literal(float(threshold)) * (present + absent))


@dataclass
class Grid:
    """Students (rows) by sessions (columns), each cell P, L (present, late), A, E or -, and each
    row's totals."""
    sessions: list   # rows with class_name, starts_at, ends_at, in time order
    # [(email, name, [mark per session], present, absent, excused, rate or None, late, tardy rate or None)]
    students: list
    first_date: object
    last_date: object


def _mark(status, late, ends_at, now):
    if status is None:
        return "A" if ends_at < now else "-"
    return LATE_MARK if status == "present" and late else MARKS[status]


def grid(tz_name, teacher=None, student=None, class_name=None, from_date=None, to_date=None):
    """The teacher's class (``class_name`` required), or the student's own records (of one class
    or all), as a Grid. A student not on a session's roster gets '-' there."""
    now = clock.local_naive(tz_name)
    sessions = (select(ClassSession.id, ClassSession.class_name, ClassSession.starts_at, ClassSession.ends_at)
                .where(*_date_range(from_date, to_date)))
    if class_name is not None:
        sessions = sessions.where(ClassSession.class_name == class_name)
    if teacher is not None:
        sessions = sessions.where(ClassSession.teacher_id == teacher.id)
    if student is not None:
        sessions = sessions.where(ClassSession.id.in_(
            select(AttendanceRecord.session_id).where(AttendanceRecord.student_id == student.id)))
    sessions = db.session.execute(sessions.order_by(ClassSession.starts_at, ClassSession.class_name,
                                                    ClassSession.id)).all()
    if not sessions:
        raise NotFound("No class session matches this class and these dates.", code="no_such_class")
    column = {s.id: i for i, s in enumerate(sessions)}
    records = (select(AttendanceRecord.session_id, AttendanceRecord.status, AttendanceRecord.late, User.email,
                      User.name)
               .join(User, AttendanceRecord.student_id == User.id)
               .where(AttendanceRecord.session_id.in_(list(column))))
    if student is not None:
        records = records.where(AttendanceRecord.student_id == student.id)
    rows = {}
    for r in db.session.execute(records):
        marks = rows.setdefault((r.email, r.name), ["-"] * len(sessions))
        marks[column[r.session_id]] = _mark(r.status, r.late, sessions[column[r.session_id]].ends_at, now)
    students = []
    for (email, name), marks in sorted(rows.items()):
        late = marks.count(LATE_MARK)
        present, absent, excused = marks.count("P") + late, marks.count("A"), marks.count("E")
        counted = present + absent
        rate = 100.0 * present / counted if counted else None
        tardy_rate = 100.0 * late / counted if counted else None
        students.append((email, name, marks, present, absent, excused, rate, late, tardy_rate))
    return Grid(sessions, students, sessions[0].starts_at.date(), sessions[-1].starts_at.date())


@dataclass
class RecordList:
    """The same records as a Grid, one row each, in session then email order, with their category."""
    rows: list  # (email, name, class_name, starts_at, ends_at, status, late, minutes_late, method, category)
    first_date: object
    last_date: object


def record_list(tz_name, teacher=None, student=None, class_name=None, from_date=None, to_date=None):
    """The teacher's class (``class_name`` required), or the student's own records, one row per
    record with its Ed-Fi category; ``status`` None while unmarked and not over, absent once over."""
    now = clock.local_naive(tz_name)
    query = (select(User.email, User.name, ClassSession.class_name, ClassSession.starts_at, ClassSession.ends_at,
                    AttendanceRecord.status, AttendanceRecord.late, AttendanceRecord.minutes_late,
                    AttendanceRecord.method)
             .join(ClassSession, AttendanceRecord.session_id == ClassSession.id)
             .join(User, AttendanceRecord.student_id == User.id)
             .where(*_date_range(from_date, to_date)))
    if class_name is not None:
        query = query.where(ClassSession.class_name == class_name)
    if teacher is not None:
        query = query.where(ClassSession.teacher_id == teacher.id)
    if student is not None:
        query = query.where(AttendanceRecord.student_id == student.id)
    found = db.session.execute(query.order_by(ClassSession.starts_at, ClassSession.class_name, ClassSession.id,
                                              User.email)).all()
    if not found:
        raise NotFound("No class session matches this class and these dates.", code="no_such_class")
    rows = []
    for r in found:
        ended = r.ends_at < now
        status = r.status or ("absent" if ended else None)
        rows.append((r.email, r.name, r.class_name, r.starts_at, r.ends_at, status, bool(r.late), r.minutes_late,
                     r.method, categories.category(r.status, r.late, ended)))
    return RecordList(rows, found[0].starts_at.date(), found[-1].starts_at.date())