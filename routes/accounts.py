"""Accounts: registration, login, logout, profile, more faces; plus reviews and the schema check."""
from models import ADMIN, STUDENT, TEACHER, Review, db
from routes.common import api_blueprint, bearer_token, endpoint, local_iso, rules
from routes.limits import client_address, throttles
from services import accounts, auth, clock, health
from services.errors import Forbidden

bp = api_blueprint("accounts")


def profile_json(user, token=None, expires_at=None):
    body = {"email_id": user.email, "name": user.name, "user_type": user.role,
            "faces_enrolled": accounts.face_count(user), "create_datetime": local_iso(user.created_at),
            "status": user.status}
    if user.role == STUDENT:  # whose records these are, so an unexpected one can be disputed
        body["teachers"] = [{"email_id": t.email, "name": t.name} for t in accounts.teachers_of(user)]
    if token:
        body.update(token=token, token_expires_at=local_iso(expires_at))
    return body


def _register(fields, role):
    throttles().registration.take(client_address())
    email = fields.email("email_id")
    name = fields.text("teacher_name" if role == TEACHER else "name", max_length=200)
    password = fields.text("passwd_hash", max_length=1024)
    user, (token, expires_at) = accounts.register(role, email, name, password, fields.image(), rules())
    if token is None:
        return {"SUCCESS": "Account created. An administrator must approve it before you can log in.",
                **profile_json(user)}
    return profile_json(user, token, expires_at)


def _login(fields, role):
    email = fields.email("email_id")
    password = fields.text("passwd_hash", max_length=1024)
    user, (token, expires_at) = auth.login(role, email, password, rules(),
                                           throttles(), client_address())
    return profile_json(user, token, expires_at)


@endpoint(bp, "/register_teacher", authenticated=False)
def register_teacher(fields):
    return _register(fields, TEACHER)


@endpoint(bp, "/register_student", authenticated=False)
def register_student(fields):
    return _register(fields, STUDENT)


@endpoint(bp, "/login_teacher", authenticated=False)
def login_teacher(fields):
    return _login(fields, TEACHER)


@endpoint(bp, "/login_student", authenticated=False)
def login_student(fields):
    return _login(fields, STUDENT)


@endpoint(bp, "/login_admin", authenticated=False)
def login_admin(fields):
    return _login(fields, ADMIN)


@endpoint(bp, "/logout", email_field="email_id")
def logout(fields, user):
    auth.logout(bearer_token(fields))
    return {"SUCCESS": "Logged out; this token no longer works."}


@endpoint(bp, "/add_face", role=STUDENT)
def add_face(fields, student):
    accounts.add_face(student, fields.image(), rules())
    return {"SUCCESS": "Face added.", **profile_json(student)}


@endpoint(bp, "/get_profile", email_field="email_id")
def get_profile(fields, user):
    user_type = fields.integer("user_type", minimum=0, maximum=2)
    if user_type is not None and user_type != user.role:
        raise Forbidden("This token belongs to another kind of account.", code="wrong_role")
    return profile_json(user)


@endpoint(bp, "/submit_review", authenticated=False)
def submit_review(fields):
    text = fields.text("review", max_length=10_000)
    db.session.add(Review(text=text, created_at=clock.utc_naive()))
    return {"SUCCESS": "Thank you for your review."}


@endpoint(bp, "/test_insertion", methods=("GET",), authenticated=False)
def test_insertion(fields):
    # The server migrates on start (and `flask --app app db upgrade` does it by hand); the
    # request path only confirms the schema is current.
    health.require_current_schema()
    return {}
