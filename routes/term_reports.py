"""Attendance over a term: the export a school office files (CSV, xlsx) and the report of who
is below the required minimum."""
from urllib.parse import quote

from flask import Response, current_app

from models import TEACHER
import routes.answers as a
import routes.declarations as d
from routes.answers import attendance_report_json
from routes.common import api_blueprint, bearer_token, endpoint, rules
from routes.fields import Fields
from services import auth, exports, term_reports
from services.errors import BadInput, Forbidden

bp = api_blueprint("term_reports")


RANGE = (d.FROM_DATE.but(required=False, description="The first day counted, YYYY-MM-DD (default: the first "
                          "session)."),
         d.TO_DATE.but(required=False, description="The last day counted, YYYY-MM-DD (default: the last session)."))


def _date_range(fields):
    from_date, to_date = fields.optional_date("from_date"), fields.optional_date("to_date")
    if from_date and to_date and to_date < from_date:
        raise BadInput("to_date must not be before from_date.", code="bad_date_range")
    return from_date, to_date


def _caller(fields):
    """A teacher (teacher_email_id) or a student (student_email_id); email_id works for both."""
    user = auth.user_for_token(bearer_token(fields))
    if fields.email("teacher_email_id" if user.role == TEACHER else "student_email_id", required=True) != user.email:
        raise Forbidden("This token belongs to another account.", code="not_yours")
    return user


def _attachment(data, name, file_format):
    disposition = f"attachment; filename=\"{name}\"; filename*=UTF-8''{quote(name)}"
    # Students' records: no copy in a shared cache.
    return Response(data, mimetype=exports.MIMETYPES[file_format],
                    headers={"Content-Disposition": disposition, "Cache-Control": "no-store"})


LAYOUTS = ("grid", "records")
EXPORT = d.Declaration(
    fields=(d.TOKEN, d.TEACHER_EMAIL_ID.but(required=False, description="A teacher's email address; must be the "
                                            "token's owner."),
            d.STUDENT_EMAIL_ID.but(required=False, description="A student's email address; must be the token's "
                                   "owner."),
            d.Field("format", "choice", "csv (the default) or xlsx.", "csv", required=False,
                    options=exports.FORMATS, max_length=d.MAX_CHOICE),
            d.OPTIONAL_CLASS_NAME.but(description="The class (required of a teacher; a student may leave it out "
                                      "for all their classes)."), *RANGE,
            d.Field("layout", "choice", "grid (the default): a row per student, a column per session; records: a "
                    "row per record with its status, late, minutes_late and Ed-Fi category.", "grid",
                    required=False, options=LAYOUTS, max_length=d.MAX_CHOICE)),
    content={mimetype.split(";")[0]: {"schema": {"type": "string", "format": "binary"}}
             for mimetype in exports.MIMETYPES.values()},
    summary="The attendance grid of a term as a file: a teacher's class, or a student's own classes",
    errors=(401, 403, 404), role="any account", authenticated=True, email_field="email_id")


@bp.post("/export_attendance")
def export_attendance():
    fields = Fields(EXPORT.by_name)
    user = _caller(fields)
    file_format = fields.choice("format") or "csv"
    layout = fields.choice("layout") or "grid"
    from_date, to_date = _date_range(fields)
    if user.role == TEACHER:
        class_name = fields.text("class_name", required=True)
        whose = {"teacher": user}
        who = class_name
    else:
        class_name = fields.text("class_name")
        whose = {"student": user}
        who = user.email.split("@")[0] + (f"_{class_name}" if class_name else "")
    if layout == "records":
        made = term_reports.record_list(rules().timezone, class_name=class_name, from_date=from_date,
                                        to_date=to_date, **whose)
        data = exports.render_records(made, file_format)
        who += "_records"
    else:
        made = term_reports.grid(rules().timezone, class_name=class_name, from_date=from_date, to_date=to_date,
                                 **whose)
        data = exports.render(made, file_format)
    return _attachment(data, exports.filename(made, who, file_format), file_format)


export_attendance.api_declaration = EXPORT


@endpoint(bp, "/get_attendance_report", role=TEACHER, takes=(d.OPTIONAL_CLASS_NAME.but(
              description="One class; without it, every student below LOW_ATTENDANCE_THRESHOLD in any class."),
          *RANGE), returns=a.ATTENDANCE_REPORT,
          summary="Each student's attendance rate over a term, against LOW_ATTENDANCE_THRESHOLD")
def get_attendance_report(fields, teacher):
    class_name = fields.text("class_name")
    from_date, to_date = _date_range(fields)
    threshold = current_app.config["LOW_ATTENDANCE_THRESHOLD"]
    rows = term_reports.student_rates(teacher, rules().timezone, threshold, class_name, from_date, to_date,
                                      only_below=class_name is None)
    return attendance_report_json(class_name, from_date, to_date, threshold, rows)
