"""Listings and statistics, for teachers and for students."""
from models import STUDENT, TEACHER
from routes.common import api_blueprint, endpoint, local_iso, records_json, rules
from services import reports

bp = api_blueprint("reports")


def counts_json(row):
    return {"total": row.total, "present": row.present, "absent": row.absent,
            "pending": row.pending, "excused": row.excused}


@endpoint(bp, "/get_classes_by_teacher", role=TEACHER)
def get_classes_by_teacher(fields, teacher):
    return records_json(reports.teacher_records(teacher, fields.page()))


@endpoint(bp, "/get_latest_class_by_teacher", role=TEACHER)
def get_latest_class_by_teacher(fields, teacher):
    return records_json(reports.latest_session_records(teacher, rules().timezone))


@endpoint(bp, "/get_present_absent_classes_by_teacher", role=TEACHER)
def get_present_absent_classes_by_teacher(fields, teacher):
    rows = reports.counts_by_session(teacher, rules().timezone, fields.page())
    return {f"{r.class_name}|{r.class_date.isoformat()}": counts_json(r) for r in rows}


@endpoint(bp, "/get_student_class_record", role=TEACHER)
def get_student_class_record(fields, teacher):
    rows = reports.counts_by_student_and_class(teacher, rules().timezone, fields.page())
    return {f"{r.email}|{r.class_name}": counts_json(r) for r in rows}


@endpoint(bp, "/get_attendance_time_records", role=TEACHER)
def get_attendance_time_records(fields, teacher):
    return [{"email_id": r.email, "time": local_iso(r.marked_time)} for r in reports.latest_markings(teacher)]


@endpoint(bp, "/get_marked_attendance", role=STUDENT)
def get_marked_attendance(fields, student):
    return records_json(reports.student_marked(student, fields.page()))


@endpoint(bp, "/get_missed_attendance", role=STUDENT)
def get_missed_attendance(fields, student):
    return records_json(reports.student_missed(student, rules().timezone, fields.page()))


@endpoint(bp, "/get_pending_attendance", role=STUDENT)
def get_pending_attendance(fields, student):
    return records_json(reports.student_pending(student, rules().grace_minutes, rules().timezone))


@endpoint(bp, "/get_student_stats", role=STUDENT)
def get_student_stats(fields, student):
    return counts_json(reports.student_counts(student, rules().timezone))


def _latest_records(student):
    return [{"class_name": r.class_name, "class_date": r.class_date.isoformat(),
             "marked": 1 if r.status == "present" else 0}
            for r in reports.latest_student_records(student)]


@endpoint(bp, "/get_student_attendance_time_records", role=STUDENT)
def get_student_attendance_time_records(fields, student):
    return _latest_records(student)


@endpoint(bp, "/get_student_class_attd_stat", role=STUDENT)
def get_student_class_attd_stat(fields, student):
    return _latest_records(student)
