"""Listings and statistics, for teachers and for students."""
from models import STUDENT, TEACHER
import routes.answers as a
import routes.declarations as d
from routes.answers import (counts_json, latest_record_json, records_json, teacher_records_json,
                            time_record_json)
from routes.common import api_blueprint, endpoint, rules
from services import reports

bp = api_blueprint("reports")


@endpoint(bp, "/get_classes_by_teacher", role=TEACHER, takes=d.PAGE, returns=a.RECORDS,
          summary="All records of the teacher's sessions, newest first")
def get_classes_by_teacher(fields, teacher):
    return teacher_records_json(teacher, *reports.teacher_records(teacher, fields.page()))


@endpoint(bp, "/get_latest_class_by_teacher", role=TEACHER, takes=(), returns=a.RECORDS,
          summary="The records of the teacher's most recent session")
def get_latest_class_by_teacher(fields, teacher):
    return records_json(reports.latest_session_records(teacher, rules().timezone))


@endpoint(bp, "/get_present_absent_classes_by_teacher", role=TEACHER, takes=d.PAGE, returns=a.COUNTS_BY_KEY,
          summary="Counts per session, keyed \"<class_name>|<class_date>\"")
def get_present_absent_classes_by_teacher(fields, teacher):
    rows = reports.counts_by_session(teacher, rules().timezone, fields.page())
    return {f"{r.class_name}|{r.class_date.isoformat()}": counts_json(r) for r in rows}


@endpoint(bp, "/get_student_class_record", role=TEACHER, takes=d.PAGE, returns=a.COUNTS_BY_KEY,
          summary="Counts per student and class, keyed \"<student_email_id>|<class_name>\"")
def get_student_class_record(fields, teacher):
    rows = reports.counts_by_student_and_class(teacher, rules().timezone, fields.page())
    return {f"{r.email}|{r.class_name}": counts_json(r) for r in rows}


@endpoint(bp, "/get_attendance_time_records", role=TEACHER, takes=(), returns=a.TIME_RECORDS,
          summary="The latest 100 markings in the teacher's sessions")
def get_attendance_time_records(fields, teacher):
    return [time_record_json(r) for r in reports.latest_markings(teacher)]


@endpoint(bp, "/get_marked_attendance", role=STUDENT, takes=d.PAGE, returns=a.RECORDS,
          summary="Records marked present, newest first")
def get_marked_attendance(fields, student):
    return records_json(reports.student_marked(student, fields.page()))


@endpoint(bp, "/get_missed_attendance", role=STUDENT, takes=d.PAGE, returns=a.RECORDS,
          summary="Ended sessions' unmarked records, newest first")
def get_missed_attendance(fields, student):
    return records_json(reports.student_missed(student, rules().timezone, fields.page()))


@endpoint(bp, "/get_pending_attendance", role=STUDENT, takes=(), returns=a.RECORDS,
          summary="Records whose session is open now, unmarked")
def get_pending_attendance(fields, student):
    return records_json(reports.student_pending(student, rules().grace_minutes, rules().timezone))


@endpoint(bp, "/get_student_stats", role=STUDENT, takes=(), returns=a.COUNTS,
          summary="Counts over the student's records")
def get_student_stats(fields, student):
    return counts_json(reports.student_counts(student, rules().timezone))


def _latest_records(student):
    return [latest_record_json(r) for r in reports.latest_student_records(student)]


@endpoint(bp, "/get_student_attendance_time_records", role=STUDENT, takes=(), returns=a.LATEST_RECORDS,
          summary="The student's latest 100 records")
def get_student_attendance_time_records(fields, student):
    return _latest_records(student)


@endpoint(bp, "/get_student_class_attd_stat", role=STUDENT, takes=(), returns=a.LATEST_RECORDS,
          summary="The student's latest 100 records")
def get_student_class_attd_stat(fields, student):
    return _latest_records(student)
