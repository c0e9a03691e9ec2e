"""Attendance over a term: the export a school office files (CSV, xlsx) and the report of who
is below the required minimum."""
from urllib.parse import quote

from flask import Response, current_app

from models import TEACHER
from routes.common import api_blueprint, bearer_token, endpoint, rules
from routes.fields import Fields
from services import auth, exports, term_reports
from services.errors import BadInput, Forbidden

bp = api_blueprint("term_reports")


def _date_range(fields):
    from_date = fields.date("from_date") if fields.text("from_date", required=False) else None
    to_date = fields.date("to_date") if fields.text("to_date", required=False) else None
    if from_date and to_date and to_date < from_date:
        raise BadInput("to_date must not be before from_date.", code="bad_date_range")
    return from_date, to_date


def _caller(fields):
    """A teacher (teacher_email_id) or a student (student_email_id); email_id works for both."""
    user = auth.user_for_token(bearer_token(fields))
    if fields.email("teacher_email_id" if user.role == TEACHER else "student_email_id") != user.email:
        raise Forbidden("This token belongs to another account.", code="not_yours")
    return user


def _attachment(data, name, file_format):
    disposition = f"attachment; filename=\"{name}\"; filename*=UTF-8''{quote(name)}"
    # Students' records: no copy in a shared cache.
    return Response(data, mimetype=exports.MIMETYPES[file_format],
                    headers={"Content-Disposition": disposition, "Cache-Control": "no-store"})


@bp.post("/export_attendance")
def export_attendance():
    fields = Fields()
    user = _caller(fields)
    file_format = fields.choice("format", exports.FORMATS, required=False) or "csv"
    from_date, to_date = _date_range(fields)
    if user.role == TEACHER:
        class_name = fields.text("class_name", max_length=200)
        grid = term_reports.grid(rules().timezone, teacher=user, class_name=class_name,
                                 from_date=from_date, to_date=to_date)
        who = class_name
    else:
        class_name = fields.text("class_name", required=False, max_length=200)
        grid = term_reports.grid(rules().timezone, student=user, class_name=class_name,
                                 from_date=from_date, to_date=to_date)
        who = user.email.split("@")[0] + (f"_{class_name}" if class_name else "")
    return _attachment(exports.render(grid, file_format), exports.filename(grid, who, file_format), file_format)


def _rate(value):
    return None if value is None else round(float(value), 1)


@endpoint(bp, "/get_attendance_report", role=TEACHER)
def get_attendance_report(fields, teacher):
    class_name = fields.text("class_name", required=False, max_length=200)
    from_date, to_date = _date_range(fields)
    threshold = current_app.config["LOW_ATTENDANCE_THRESHOLD"]
    rows = term_reports.student_rates(teacher, rules().timezone, threshold, class_name, from_date, to_date,
                                      only_below=class_name is None)
    return {"class_name": class_name, "from_date": from_date and from_date.isoformat(),
            "to_date": to_date and to_date.isoformat(), "threshold": threshold,
            "students": [{"student_email_id": r.email, "name": r.name, "class_name": r.class_name,
                          "held": r.held, "present": r.present, "absent": r.absent, "excused": r.excused,
                          "rate": _rate(r.rate), "below_threshold": bool(r.below)} for r in rows]}
