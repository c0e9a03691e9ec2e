"""A teacher's manual corrections and the audit trail of every record."""
from models import STATUSES, TEACHER
import routes.declarations as d
from routes.common import api_blueprint, endpoint, local_instant, records_json, session_or_student
from services import corrections, reports

bp = api_blueprint("corrections")


STUDENT_FIELD = d.STUDENT_EMAIL_ID.but(aliases=())


@endpoint(bp, "/set_attendance", role=TEACHER, takes=(*d.SLOT, STUDENT_FIELD, d.STATUS.but(options=STATUSES), d.NOTE),
          returns=d.RECORD_CHANGED, errors=(404, 409), summary="A teacher's manual correction of one record")
def set_attendance(fields, teacher):
    student_email = fields.email("student_email_id")
    status = fields.choice("status")
    note = fields.text("note")
    record_id = corrections.set_status(teacher, fields.slot(), student_email, status, note)
    return {"SUCCESS": f"{student_email} is now {status}.",
            "record": records_json([reports.record_row(record_id)])[0]}


OPTIONAL_SLOT = tuple(f.but(required=False, description=f.description + " Name a session (all four "
                            "fields) or a student_email_id, or both.") for f in d.SLOT)


@endpoint(bp, "/get_attendance_history", role=TEACHER,
          takes=(*OPTIONAL_SLOT, STUDENT_FIELD.but(required=False), *d.PAGE),
          returns=d.HISTORY, errors=(404,), summary="The audit trail: who changed what, when, how")
def get_attendance_history(fields, teacher):
    session_slot, student_email = session_or_student(fields)
    return [{"class_name": e.class_name, "class_date": e.class_date.isoformat(),
             "start_time": e.starts_at.strftime("%H:%M"), "end_time": e.ends_at.strftime("%H:%M"),
             "student_email_id": e.student_email, "by": e.actor_email, "at": local_instant(e.at),
             "method": e.method, "from_status": e.from_status, "to_status": e.to_status,
             "distance": None if e.distance is None else round(e.distance, 3), "note": e.note}
            for e in corrections.history(teacher, session_slot, student_email, fields.page())]
