"""Statistics; every count is computed by the database."""
from models import STUDENT, TEACHER
from routes import api
from routes.common import endpoint, local_iso, settings
from services import attendance


def counts_json(row):
    return {"total": row.total, "present": row.present, "absent": row.absent,
            "pending": row.pending, "excused": row.excused}


@endpoint(api, "/get_present_absent_classes_by_teacher", role=TEACHER)
def get_present_absent_classes_by_teacher(fields, teacher):
    rows = attendance.counts_by_session(teacher, settings()["TIMEZONE"], fields.page())
    return {f"{r.class_name}|{r.class_date.isoformat()}": counts_json(r) for r in rows}


@endpoint(api, "/get_student_class_record", role=TEACHER)
def get_student_class_record(fields, teacher):
    rows = attendance.counts_by_student_and_class(teacher, settings()["TIMEZONE"], fields.page())
    return {f"{r.email}|{r.class_name}": counts_json(r) for r in rows}


@endpoint(api, "/get_attendance_time_records", role=TEACHER)
def get_attendance_time_records(fields, teacher):
    return [{"email_id": r.email, "time": local_iso(r.marked_time)} for r in attendance.latest_markings(teacher)]


@endpoint(api, "/get_student_stats", role=STUDENT)
def get_student_stats(fields, student):
    return counts_json(attendance.student_counts(student, settings()["TIMEZONE"]))


def _latest_records(student):
    return [{"class_name": r.class_name, "class_date": r.class_date.isoformat(),
             "marked": 1 if r.status == "present" else 0}
            for r in attendance.latest_student_records(student)]


@endpoint(api, "/get_student_attendance_time_records", role=STUDENT)
def get_student_attendance_time_records(fields, student):
    return _latest_records(student)


@endpoint(api, "/get_student_class_attd_stat", role=STUDENT)
def get_student_class_attd_stat(fields, student):
    return _latest_records(student)
