"""Class sessions, their rosters, and selfie check-in."""
from models import STUDENT, TEACHER
from routes.common import api_blueprint, endpoint, local_iso, records_json, rules
from routes.limits import throttles
from services import reports, sessions
from services.errors import FaceProblem

bp = api_blueprint("sessions")


def session_json(session, teacher):
    return {"class_name": session.class_name, "class_date": session.class_date.isoformat(),
            "start_time": session.starts_at.strftime("%H:%M"), "end_time": session.ends_at.strftime("%H:%M"),
            "teacher_email_id": teacher.email, "create_datetime": local_iso(session.created_at)}


@endpoint(bp, "/get_create_class", "/create_class", role=TEACHER)
def create_class(fields, teacher):
    session, unknown = sessions.create_session(teacher, fields.slot(), fields.email_list("student_email_ids"))
    records = records_json(reports.session_records(session))
    message = f"Class created with {len(records)} students."
    if unknown:
        message += f" {len(unknown)} roster emails match no student and were left out."
    return {"SUCCESS": message, "session": session_json(session, teacher), "records": records,
            "unknown_student_email_ids": unknown}


@endpoint(bp, "/get_class_attendance", role=TEACHER)
def get_class_attendance(fields, teacher):
    session = sessions.teacher_session(teacher, fields.slot())
    return records_json(reports.session_records(session))


@endpoint(bp, "/mark_attendance", role=STUDENT)
def mark_attendance(fields, student):
    mismatches = throttles().face_mismatch
    mismatches.check(student.id)  # photo after photo to check a friend in
    try:
        record = sessions.check_in(student, fields.slot(), fields.image(), rules())
    except FaceProblem as problem:
        if problem.code == "face_mismatch":
            mismatches.count(student.id)
        raise
    return {"SUCCESS": "Attendance marked.", "record": records_json([record])[0]}
