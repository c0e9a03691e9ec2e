"""Class sessions, their rosters, and selfie check-in."""
from models import STUDENT, TEACHER
import routes.declarations as d
from routes.common import api_blueprint, endpoint, local_iso, records_json, rules
from services import reports, sessions

bp = api_blueprint("sessions")


def session_json(session, teacher):
    return {"class_name": session.class_name, "class_date": session.class_date.isoformat(),
            "start_time": session.starts_at.strftime("%H:%M"), "end_time": session.ends_at.strftime("%H:%M"),
            "teacher_email_id": teacher.email, "create_datetime": local_iso(session.created_at)}


@endpoint(bp, "/get_create_class", "/create_class", role=TEACHER, takes=(*d.SLOT, d.STUDENT_EMAIL_IDS),
          returns=d.CLASS_CREATED, errors=(409,), summary="Create a class session and its roster's records")
def create_class(fields, teacher):
    session, unknown = sessions.create_session(teacher, fields.slot(), fields.email_list("student_email_ids"))
    records = records_json(reports.session_records(session))
    message = f"Class created with {len(records)} students."
    if unknown:
        message += f" {len(unknown)} roster emails match no student and were left out."
    return {"SUCCESS": message, "session": session_json(session, teacher), "records": records,
            "unknown_student_email_ids": unknown}


@endpoint(bp, "/get_class_attendance", role=TEACHER, takes=d.SLOT,
          returns=d.RECORDS, errors=(404,), summary="One session's roster with each student's record")
def get_class_attendance(fields, teacher):
    session = sessions.teacher_session(teacher, fields.slot())
    return records_json(reports.session_records(session))


@endpoint(bp, "/mark_attendance", role=STUDENT, takes=(*d.SLOT, d.IMAGE_FILE), returns=d.RECORD_CHANGED,
          errors=(404, 409, 429), summary="Selfie check-in: on the roster, session open now, face matches")
def mark_attendance(fields, student):
    record = sessions.check_in(student, fields.slot(), fields.image(), rules())
    return {"SUCCESS": "Attendance marked.", "record": records_json([record])[0]}
