"""Class sessions, rosters and selfie check-in."""
from models import STUDENT, TEACHER
from routes import api
from routes.common import endpoint, local_iso, records_json, settings
from services import attendance


def slot(fields):
    return attendance.Slot(fields.text("class_name", max_length=200), fields.date("class_date"),
                           fields.time("start_time"), fields.time("end_time"))


def session_json(session, teacher):
    return {"class_name": session.class_name, "class_date": session.class_date.isoformat(),
            "start_time": session.starts_at.strftime("%H:%M"), "end_time": session.ends_at.strftime("%H:%M"),
            "teacher_email_id": teacher.email, "create_datetime": local_iso(session.created_at)}


@endpoint(api, "/get_create_class", "/create_class", role=TEACHER)
def create_class(fields, teacher):
    session, unknown = attendance.create_session(teacher, slot(fields), fields.email_list("student_email_ids"))
    records = records_json(attendance.session_records(session))
    message = f"Class created with {len(records)} students."
    if unknown:
        message += f" {len(unknown)} roster emails match no student and were left out."
    return {"SUCCESS": message, "session": session_json(session, teacher), "records": records,
            "unknown_student_email_ids": unknown}


@endpoint(api, "/get_class_attendance", role=TEACHER)
def get_class_attendance(fields, teacher):
    session = attendance.teacher_session(teacher, slot(fields))
    return records_json(attendance.session_records(session))


@endpoint(api, "/mark_attendance", role=STUDENT)
def mark_attendance(fields, student):
    record = attendance.check_in(student, slot(fields), fields.image(), settings())
    return {"SUCCESS": "Attendance marked.", "record": records_json([attendance.record_row(record.id)])[0]}


@endpoint(api, "/get_marked_attendance", role=STUDENT)
def get_marked_attendance(fields, student):
    return records_json(attendance.student_marked(student, fields.page()))


@endpoint(api, "/get_missed_attendance", role=STUDENT)
def get_missed_attendance(fields, student):
    return records_json(attendance.student_missed(student, settings()["TIMEZONE"], fields.page()))


@endpoint(api, "/get_pending_attendance", role=STUDENT)
def get_pending_attendance(fields, student):
    return records_json(attendance.student_pending(student, settings()["CHECKIN_GRACE_MINUTES"],
                                                   settings()["TIMEZONE"]))


@endpoint(api, "/get_classes_by_teacher", role=TEACHER)
def get_classes_by_teacher(fields, teacher):
    return records_json(attendance.teacher_records(teacher, fields.page()))


@endpoint(api, "/get_latest_class_by_teacher", role=TEACHER)
def get_latest_class_by_teacher(fields, teacher):
    return records_json(attendance.latest_session_records(teacher))
