"""What every endpoint shares: authenticating, committing once, and the record's JSON shape."""
import functools
import operator

from flask import Blueprint, current_app, jsonify, request

from models import ADMIN, STUDENT, TEACHER, db
from routes.declarations import EMAIL_ID, STUDENT_EMAIL_ID, TEACHER_EMAIL_ID, TOKEN, Declaration
from routes.fields import Fields
from services import auth, clock
from services.errors import BadInput, Forbidden


def api_blueprint(name):
    return Blueprint(name, name, url_prefix="/api/v1")


def bearer_token(fields):
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip()
    return fields.text("token", required=False, max_length=200)


def authenticate(fields, role, email_field):
    """The token's user, who must have ``role`` (None: any) and own the email the call names."""
    user = auth.user_for_token(bearer_token(fields))
    if role is not None and user.role != role:
        who = {TEACHER: "teachers", ADMIN: "administrators"}.get(role, "students")
        raise Forbidden(f"Only {who} can do this.", code="wrong_role")
    if fields.email(email_field) != user.email:
        raise Forbidden("This token belongs to another account.", code="not_yours")
    return user


def endpoint(blueprint, *paths, role=None, email_field=None, methods=("POST",), authenticated=True,
             takes=None, returns=None, summary="", errors=(), accepted=None):
    """Registers a view under /api/v1 that gets the parsed fields (and the caller) and
    returns plain data; the request commits once, after the view succeeded.

    ``takes`` declares the fields the view reads (routes/declarations.py; the token and the
    caller's email field are added for authenticated views): the reader takes their limits
    from it, and refuses to read a field left out. ``returns`` is the success answer's
    schema. Both feed the OpenAPI document; without them the endpoint is documented
    generically. ``errors`` lists statuses beyond those its fields and token imply; ``accepted``
    is the schema of a 202 answer, for a view that may queue its work."""
    if authenticated and email_field is None:
        email_field = {TEACHER: "teacher_email_id", None: "email_id"}.get(role, "student_email_id")
    declaration = _declaration(takes, returns, summary, errors, role, authenticated, email_field, accepted)

    def register(view):
        @functools.wraps(view)
        def handle():
            fields = Fields(declaration.by_name if declaration.fields is not None else None)
            if authenticated:
                result = view(fields, authenticate(fields, role, email_field))
            else:
                result = view(fields)
            db.session.commit()
            if isinstance(result, tuple):  # (body, status), e.g. 202 for a queued job
                return jsonify(result[0]), result[1]
            return jsonify(result)

        handle.api_declaration = declaration
        for path in paths:
            blueprint.add_url_rule(path, endpoint=f"{view.__name__}:{path}", view_func=handle, methods=methods)
        return view

    return register


_OWNER_FIELDS = {f.name: f for f in (EMAIL_ID, STUDENT_EMAIL_ID, TEACHER_EMAIL_ID)}


def _declaration(takes, returns, summary, errors, role, authenticated, email_field, accepted=None):
    fields = None
    if takes is not None:
        fields = tuple(takes)
        if authenticated:
            names = {f.name for f in fields}
            owner = _OWNER_FIELDS.get(email_field) or EMAIL_ID.but(name=email_field, aliases=())
            fields = (TOKEN, *([owner] if email_field not in names else []), *fields)
    role_name = ("anyone" if not authenticated else "any account" if role is None
                 else {TEACHER: "teacher", STUDENT: "student"}.get(role, f"role {role}"))
    return Declaration(fields=fields, returns=returns, summary=summary, errors=tuple(errors), role=role_name,
                       authenticated=authenticated, email_field=email_field, accepted=accepted)


def session_or_student(fields):
    """A history's filter: a session (its four fields), a student_email_id, or both."""
    student_email = fields.email("student_email_id", required=False, aliases=False)
    session_slot = fields.slot() if fields.text("class_name", required=False) else None
    if session_slot is None and student_email is None:
        raise BadInput("Name a class session (class_name, class_date, start_time, end_time) "
                       "or a student_email_id.", code="missing_field")
    return session_slot, student_email


def rules():
    """The settings services act on (config.Rules), made once per app."""
    return current_app.extensions["rollcall_rules"]


def local_instant(utc_value):
    """A stored instant on the school's clock, for an answer; the JSON writer formats it."""
    return clock.local_instants(rules().timezone)(utc_value)


@functools.lru_cache(maxsize=4096)
def _hhmm(value):
    # A listing repeats each session's times once per student; strftime is the slow part.
    return value.strftime("%H:%M")


# The columns of services.records.record_rows() that a record's JSON is made of: its
# session's, the teacher's, then the record's own and the student's email.
_RECORD_COLUMNS = ("class_name", "class_date", "starts_at", "ends_at", "teacher_email", "teacher_name",
                   "id", "status", "method", "distance", "marked_time", "created_at", "student_email")


def _session_part(class_name, class_date, starts_at, ends_at):
    """What a record's JSON takes from its session, made once per session in a long listing."""
    return class_name, class_date, _hhmm(starts_at), _hhmm(ends_at), ends_at


def _record_json(now_local, local, session, teacher_email, teacher_name,
                 record_id, status, method, distance, marked_time, created_at, student_email):
    """The contract's attendance record (plus status, method, distance). Dates and instants are
    left to the JSON writer, which formats them (ISO 8601) for thousands of records at once."""
    class_name, class_date, start_time, end_time, ends_at = session
    return {
        "id": record_id,
        "class_name": class_name,
        "student_email_id": student_email,
        "teacher_email_id": teacher_email,
        "teacher_name": teacher_name,
        "attendance_marked": 1 if status == "present" else 0,
        "class_date": class_date,
        "start_time": start_time,
        "end_time": end_time,
        "marked_time": local(marked_time),
        "create_datetime": local(created_at),
        "status": status or ("absent" if ends_at < now_local else "pending"),
        "method": method,
        "distance": None if distance is None else round(distance, 3),
    }


def _record_columns(row):
    """A function giving the _RECORD_COLUMNS of rows shaped like ``row``: by position for
    SQLAlchemy's rows, whose lookup by name took half of a teacher's full listing."""
    fields = getattr(row, "_fields", None)
    if fields is None:
        return operator.attrgetter(*_RECORD_COLUMNS)
    position = {name: i for i, name in enumerate(fields)}
    return operator.itemgetter(*(position[name] for name in _RECORD_COLUMNS))


def _listing_clock():
    """(now, instant converter) on the school's clock, read once per listing, not per record."""
    tz_name = rules().timezone
    return clock.local_naive(tz_name), clock.local_instants(tz_name)


def records_json(rows):
    """Records shaped like services.records.record_rows()."""
    if not rows:
        return []
    now_local, local = _listing_clock()
    columns = _record_columns(rows[0])
    return [_record_json(now_local, local, _session_part(*c[:4]), *c[4:]) for c in map(columns, rows)]


def teacher_records_json(teacher, sessions, rows):
    """A teacher's listing from services.reports.teacher_records: rows that name their session."""
    now_local, local = _listing_clock()
    parts = {session_id: _session_part(*columns) for session_id, *columns in sessions}
    email, name = teacher.email, teacher.name
    return [_record_json(now_local, local, parts[session_id], email, name,
                         record_id, status, method, distance, marked_time, created_at, student_email)
            for session_id, record_id, status, method, distance, marked_time, created_at, student_email in rows]
