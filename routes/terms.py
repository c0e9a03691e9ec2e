"""A term at once: a timetable of sessions (create_schedule), and the presence code a session
may require (get_presence_code)."""
from datetime import datetime

from models import TEACHER
from routes.common import api_blueprint, endpoint
from routes.roster_input import roster_emails
from routes.sessions import session_json
from services import presence, schedules, sessions
from services.errors import BadInput

bp = api_blueprint("terms")
MAX_SKIP_DATES = 400


def skip_dates(fields):
    """Optional holidays: comma-separated (or a JSON list of) dates as YYYY-MM-DD."""
    value = fields.values.get("skip_dates")
    if value is None or (isinstance(value, str) and not value.strip()):
        return []
    items = value if isinstance(value, list) else str(value).split(",")
    if len(items) > MAX_SKIP_DATES:
        raise BadInput(f"The field skip_dates lists more than {MAX_SKIP_DATES} dates.", code="bad_field")
    dates = []
    for item in items:
        text = str(item).strip().replace("/", "-")
        if not text:
            continue
        try:
            dates.append(datetime.strptime(text, "%Y-%m-%d").date())
        except ValueError:
            raise BadInput(f"{text[:20]!r} in skip_dates is not a date as YYYY-MM-DD.", code="bad_field") from None
    return dates


@endpoint(bp, "/create_schedule", role=TEACHER)
def create_schedule(fields, teacher):
    created, existing, unknown = schedules.create_schedule(
        teacher, fields.text("class_name", max_length=200), schedules.parse_weekdays(fields.text("weekdays")),
        fields.time("start_time"), fields.time("end_time"), fields.date("from_date"), fields.date("to_date"),
        skip_dates(fields), roster_emails(fields), require_code=fields.flag("require_code"))
    message = f"{len(created)} sessions created"
    if existing:
        message += f", {len(existing)} already existed and were left alone"
    message += "."
    if unknown:
        message += f" {len(unknown)} roster emails have no student account yet; they join when they enroll."
    return {"SUCCESS": message, "created": [session_json(s, teacher) for s in created],
            "existing": [session_json(s, teacher) for s in existing], "unknown_student_email_ids": unknown,
            "invited_student_email_ids": unknown}


@endpoint(bp, "/get_presence_code", role=TEACHER)
def get_presence_code(fields, teacher):
    session = sessions.teacher_session(teacher, fields.slot())
    current = presence.current_code(session, with_qr=fields.flag("qr"))
    answer = {"presence_code": current.code, "valid_for_seconds": current.seconds_left,
              "step_seconds": presence.STEP_SECONDS}
    if current.qr_png is not None:
        answer["qr_png_base64"] = presence.qr_base64(current.qr_png)
    return answer
