"""A term at once: a timetable of sessions (create_schedule), and the presence code a session
may require (get_presence_code)."""
from models import TEACHER
import routes.answers as a
import routes.declarations as d
from routes.answers import presence_code_json, session_json
from routes.common import api_blueprint, endpoint
from routes.roster_input import roster_emails
from services import presence, schedules, sessions

bp = api_blueprint("terms")


@endpoint(bp, "/create_schedule", role=TEACHER,
          takes=(d.CLASS_NAME, d.WEEKDAYS, d.START_TIME, d.END_TIME, d.FROM_DATE, d.TO_DATE, d.SKIP_DATES,
                 d.STUDENT_EMAIL_IDS.but(description="The roster of every session: email addresses separated by "
                                         "commas (a JSON body may send a list)."),
                 d.ROSTER_FILE, d.REQUIRE_CODE, d.ALLOW_REMOTE),
          returns=a.SCHEDULE_CREATED, errors=(409,),
          summary="Create a term's sessions: the class on these weekdays between two dates")
def create_schedule(fields, teacher):
    created, existing, unknown = schedules.create_schedule(
        teacher, fields.text("class_name"), schedules.parse_weekdays(fields.text("weekdays")),
        fields.time("start_time"), fields.time("end_time"), fields.date("from_date"), fields.date("to_date"),
        fields.date_list("skip_dates"), roster_emails(fields), require_code=fields.flag("require_code"),
        allow_remote=fields.flag("allow_remote"))
    message = f"{len(created)} sessions created"
    if existing:
        message += f", {len(existing)} already existed and were left alone"
    message += "."
    if unknown:
        message += f" {len(unknown)} roster emails have no student account yet; they join when they enroll."
    return {"SUCCESS": message, "created": [session_json(s, teacher) for s in created],
            "existing": [session_json(s, teacher) for s in existing], "unknown_student_email_ids": unknown,
            "invited_student_email_ids": unknown}


@endpoint(bp, "/get_presence_code", role=TEACHER, takes=(*d.SLOT, d.QR), returns=a.PRESENCE_CODE,
          errors=(404, 409), summary="The presence code to show in the room now (it changes every step_seconds)")
def get_presence_code(fields, teacher):
    session = sessions.teacher_session(teacher, fields.slot())
    return presence_code_json(presence.current_code(session, with_qr=fields.flag("qr")))
