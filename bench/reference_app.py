"""The app plus /bench/reference/<endpoint>: each statistic and listing done the straightforward way.

Every reference view loads all of the caller's attendance rows as ORM objects (sessions and
people eagerly joined, so no N+1 queries) and filters, sorts and counts them in Python. They
share the real endpoints' parsing, authentication and JSON, so a comparison over HTTP
isolates the data work. bench/stats.py also checks both answer the same. Never deployed:
gunicorn serves it only when a benchmark names ``bench.reference_app:create_reference_app()``.
"""
from collections import defaultdict
from datetime import timedelta
from types import SimpleNamespace

from flask import Blueprint
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app import create_app
from models import STUDENT, TEACHER, AttendanceRecord, ClassSession, db
import routes.answers as a
import routes.declarations as d
from routes.answers import local_instant, records_json
from routes.common import endpoint, rules
from services import clock

reference = Blueprint("reference", __name__, url_prefix="/bench/reference")


def _teacher_rows(teacher):
    records = db.session.scalars(
        select(AttendanceRecord).join(ClassSession, AttendanceRecord.session_id == ClassSession.id)
        .where(ClassSession.teacher_id == teacher.id)
        .options(joinedload(AttendanceRecord.session), joinedload(AttendanceRecord.student))).all()
    return [_row(r, r.student.email, teacher.email, teacher.name) for r in records]


def _student_rows(student):
    records = db.session.scalars(
        select(AttendanceRecord).where(AttendanceRecord.student_id == student.id)
        .options(joinedload(AttendanceRecord.session).joinedload(ClassSession.teacher))).all()
    return [_row(r, student.email, r.session.teacher.email, r.session.teacher.name) for r in records]


def _row(r, student_email, teacher_email, teacher_name):
    s = r.session
    return SimpleNamespace(id=r.id, status=r.status, method=r.method, distance=r.distance,
                           marked_time=r.marked_time, created_at=r.created_at, class_name=s.class_name,
                           class_date=s.class_date, starts_at=s.starts_at, ends_at=s.ends_at,
                           session_id=s.id, student_email=student_email, teacher_email=teacher_email,
                           teacher_name=teacher_name)


def _now():
    return clock.local_naive(rules().timezone)


def _is_absent(row, now):
    return row.status == "absent" or (row.status is None and row.ends_at < now)


def _counts(rows, now):
    return {"total": len(rows), "present": sum(r.status == "present" for r in rows),
            "absent": sum(_is_absent(r, now) for r in rows),
            "pending": sum(r.status is None and r.ends_at >= now for r in rows),
            "excused": sum(r.status == "excused" for r in rows)}


def _newest_first(rows):
    return sorted(rows, key=lambda r: (r.starts_at, r.id), reverse=True)


@endpoint(reference, "/get_classes_by_teacher", role=TEACHER, takes=d.PAGE, returns=a.RECORDS)
def classes_by_teacher(fields, teacher):
    rows = sorted(_teacher_rows(teacher), key=lambda r: r.student_email)
    rows = sorted(rows, key=lambda r: (r.starts_at, r.session_id), reverse=True)
    return records_json(rows)


@endpoint(reference, "/get_latest_class_by_teacher", role=TEACHER, takes=(), returns=a.RECORDS)
def latest_class_by_teacher(fields, teacher):
    now = _now()
    rows = [r for r in _teacher_rows(teacher) if r.starts_at <= now]
    if not rows:
        return []
    latest = max(rows, key=lambda r: (r.starts_at, r.session_id)).session_id
    return records_json(sorted((r for r in rows if r.session_id == latest), key=lambda r: r.student_email))


@endpoint(reference, "/get_class_attendance", role=TEACHER, takes=d.SLOT, returns=a.RECORDS)
def class_attendance(fields, teacher):
    wanted = fields.slot()
    rows = [r for r in _teacher_rows(teacher) if r.class_name == wanted.class_name
            and r.starts_at == wanted.starts_at and r.ends_at == wanted.ends_at]
    return records_json(sorted(rows, key=lambda r: r.student_email))


@endpoint(reference, "/get_present_absent_classes_by_teacher", role=TEACHER, takes=d.PAGE, returns=a.COUNTS_BY_KEY)
def present_absent_classes_by_teacher(fields, teacher):
    now, groups = _now(), defaultdict(list)
    for r in _teacher_rows(teacher):
        groups[(r.class_name, r.class_date)].append(r)
    keys = sorted(sorted(groups), key=lambda k: k[1], reverse=True)
    return {f"{name}|{day.isoformat()}": _counts(groups[(name, day)], now) for name, day in keys}


@endpoint(reference, "/get_student_class_record", role=TEACHER, takes=d.PAGE, returns=a.COUNTS_BY_KEY)
def student_class_record(fields, teacher):
    now, groups = _now(), defaultdict(list)
    for r in _teacher_rows(teacher):
        groups[(r.student_email, r.class_name)].append(r)
    return {f"{email}|{name}": _counts(groups[(email, name)], now) for email, name in sorted(groups)}


@endpoint(reference, "/get_attendance_time_records", role=TEACHER, takes=(), returns=a.TIME_RECORDS)
def attendance_time_records(fields, teacher):
    marked = [r for r in _teacher_rows(teacher) if r.status == "present"]
    marked.sort(key=lambda r: (r.marked_time, r.id), reverse=True)
    return [{"email_id": r.student_email, "time": local_instant(r.marked_time)} for r in marked[:100]]


@endpoint(reference, "/get_marked_attendance", role=STUDENT, takes=d.PAGE, returns=a.RECORDS)
def marked_attendance(fields, student):
    return records_json(_newest_first(r for r in _student_rows(student) if r.status == "present"))


@endpoint(reference, "/get_missed_attendance", role=STUDENT, takes=d.PAGE, returns=a.RECORDS)
def missed_attendance(fields, student):
    now = _now()
    return records_json(_newest_first(r for r in _student_rows(student) if _is_absent(r, now)))


@endpoint(reference, "/get_pending_attendance", role=STUDENT, takes=(), returns=a.RECORDS)
def pending_attendance(fields, student):
    now = _now()
    opens = now + timedelta(minutes=rules().grace_minutes)
    rows = [r for r in _student_rows(student) if r.status is None and r.starts_at <= opens and r.ends_at >= now]
    return records_json(sorted(rows, key=lambda r: (r.starts_at, r.id)))


@endpoint(reference, "/get_student_stats", role=STUDENT, takes=(), returns=a.COUNTS)
def student_stats(fields, student):
    counts = _counts(_student_rows(student), _now())
    return {**counts, "total": counts["present"] + counts["absent"]}


def _latest(student):
    return [{"class_name": r.class_name, "class_date": r.class_date.isoformat(),
             "marked": 1 if r.status == "present" else 0} for r in _newest_first(_student_rows(student))[:100]]


@endpoint(reference, "/get_student_attendance_time_records", role=STUDENT, takes=(), returns=a.LATEST_RECORDS)
def student_attendance_time_records(fields, student):
    return _latest(student)


@endpoint(reference, "/get_student_class_attd_stat", role=STUDENT, takes=(), returns=a.LATEST_RECORDS)
def student_class_attd_stat(fields, student):
    return _latest(student)


def create_reference_app(overrides=None):
    app = create_app(overrides)
    app.register_blueprint(reference)
    return app
