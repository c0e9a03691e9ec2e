"""A teacher's manual corrections and the audit trail of every record."""
from models import STATUSES, TEACHER
import routes.answers as a
import routes.declarations as d
from routes.answers import history_json, records_json
from routes.common import api_blueprint, endpoint, session_or_student
from services import corrections, reports, webhooks

bp = api_blueprint("corrections")


STUDENT_FIELD = d.STUDENT_EMAIL_ID.but(aliases=())
LATE = d.Field("late", "flag", "1: the student is present but late (a tardy); 0: on time. Left out: a record "
               "that stays present keeps its flag.", "0", required=False, max_length=d.MAX_FLAG)


@endpoint(bp, "/set_attendance", role=TEACHER,
          takes=(*d.SLOT, STUDENT_FIELD, d.STATUS.but(options=STATUSES), d.NOTE, LATE),
          returns=a.RECORD_CHANGED, errors=(404, 409), summary="A teacher's manual correction of one record")
def set_attendance(fields, teacher):
    student_email = fields.email("student_email_id")
    status = fields.choice("status")
    note = fields.text("note")
    late = fields.flag("late") if fields.given("late") else None
    record_id = corrections.set_status(teacher, fields.slot(), student_email, status, note, late)
    late_text = " and late" if late else ""
    record = records_json([reports.record_row(record_id)])[0]
    webhooks.emit("attendance.changed", record)
    return {"SUCCESS": f"{student_email} is now {status}{late_text}.", "record": record}


@endpoint(bp, "/get_attendance_history", role=TEACHER,
          takes=(*d.OPTIONAL_SLOT, STUDENT_FIELD.but(required=False), *d.PAGE),
          returns=a.HISTORY, errors=(404,), summary="The audit trail: who changed what, when, how")
def get_attendance_history(fields, teacher):
    session_slot, student_email = session_or_student(fields)
    return [history_json(e) for e in corrections.history(teacher, session_slot, student_email, fields.page())]
