"""What every endpoint shares: its declaration, authenticating, committing once."""
import functools

from flask import Blueprint, current_app, jsonify, request

from models import TEACHER, Role, db
from routes.declarations import EMAIL_ID, STUDENT_EMAIL_ID, TEACHER_EMAIL_ID, TOKEN, Declaration
from routes.fields import Fields
from services import auth
from services.errors import BadInput, Forbidden


def api_blueprint(name):
    return Blueprint(name, name, url_prefix="/api/v1")


def bearer_token(fields):
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip()
    return fields.text("token", required=False)


def authenticate(fields, role, email_field):
    """The token's user, who must have ``role`` (None: any) and own the email the call names."""
    user = auth.user_for_token(bearer_token(fields))
    if role is not None and user.role != role:
        raise Forbidden(f"Only {Role(role).plural} can do this.", code="wrong_role")
    if fields.email(email_field) != user.email:
        raise Forbidden("This token belongs to another account.", code="not_yours")
    return user


def endpoint(blueprint, *paths, takes, returns, role=None, email_field=None, methods=("POST",),
             authenticated=True, summary="", errors=(), accepted=None):
    """Registers a view under /api/v1 that gets the parsed fields (and the caller) and
    returns plain data; the request commits once, after the view succeeded.

    ``takes`` declares the fields the view reads (routes/declarations.py; the token and the
    caller's email field are added for authenticated views): the reader takes their limits
    from it, and refuses to read a field left out. ``returns`` is the success answer's
    schema (routes/answers.py). Both are required and both feed the OpenAPI document.
    ``errors`` lists statuses beyond those its fields and token imply; ``accepted`` is the
    schema of a 202 answer, for a view that may queue its work."""
    if authenticated and email_field is None:
        email_field = {TEACHER: "teacher_email_id", None: "email_id"}.get(role, "student_email_id")
    declaration = _declaration(takes, returns, summary, errors, role, authenticated, email_field, accepted)

    def register(view):
        @functools.wraps(view)
        def handle():
            fields = Fields(declaration.by_name)
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
    fields = tuple(takes)
    if authenticated:
        names = {f.name for f in fields}
        owner = _OWNER_FIELDS.get(email_field) or EMAIL_ID.but(name=email_field, aliases=())
        fields = (TOKEN, *([owner] if email_field not in names else []), *fields)
    role_name = ("anyone" if not authenticated else "any account" if role is None
                 else Role(role).label)
    return Declaration(fields=fields, returns=returns, summary=summary, errors=tuple(errors), role=role_name,
                       authenticated=authenticated, email_field=email_field, accepted=accepted)


def session_or_student(fields):
    """A history's filter: a session (its four fields), a student_email_id, or both."""
    student_email = fields.email("student_email_id", required=False)
    session_slot = fields.slot() if fields.text("class_name", required=False) else None
    if session_slot is None and student_email is None:
        raise BadInput("Name a class session (class_name, class_date, start_time, end_time) "
                       "or a student_email_id.", code="missing_field")
    return session_slot, student_email


def rules():
    """The settings services act on (config.Rules), made once per app."""
    return current_app.extensions["rollcall_rules"]
