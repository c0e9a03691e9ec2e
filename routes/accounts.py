"""Accounts: registration, login, logout, profile, more faces; plus reviews and the schema check."""
from models import ADMIN, STUDENT, TEACHER, Review, db
import routes.answers as a
import routes.declarations as d
from routes.answers import profile_json
from routes.common import api_blueprint, bearer_token, endpoint, rules
from routes.limits import client_address, throttles
from services import accounts, auth, clock, health
from services.errors import Forbidden

bp = api_blueprint("accounts")


def _register(fields, role):
    throttles().registration.take(client_address())
    email = fields.email("email_id")
    name = fields.text("teacher_name" if role == TEACHER else "name")
    password = fields.text("passwd_hash")
    user, (token, expires_at) = accounts.register(role, email, name, password, fields.image(), rules())
    if token is None:
        return {"SUCCESS": "Account created. An administrator must approve it before you can log in.",
                **profile_json(user)}
    return profile_json(user, token, expires_at)


def _login(fields, role):
    email = fields.email("email_id")
    password = fields.text("passwd_hash")
    user, (token, expires_at) = auth.login(role, email, password, rules(),
                                           throttles(), client_address())
    return profile_json(user, token, expires_at)


NEW_TEACHER = d.EMAIL_ID.but(example="new.teacher@school.test", description="The new account's email address.")
NEW_STUDENT = d.EMAIL_ID.but(example="new.student@school.test", description="The new account's email address.")


@endpoint(bp, "/register_teacher", authenticated=False, errors=(403, 409, 429), returns=a.REGISTERED,
          takes=(NEW_TEACHER, d.TEACHER_NAME, d.PASSWD_HASH, d.IMAGE_FILE),
          summary="Create a teacher account enrolled with the photo's one face")
def register_teacher(fields):
    return _register(fields, TEACHER)


@endpoint(bp, "/register_student", authenticated=False, errors=(403, 409, 429), returns=a.LOGIN,
          takes=(NEW_STUDENT, d.NAME, d.PASSWD_HASH, d.IMAGE_FILE),
          summary="Create a student account enrolled with the photo's one face")
def register_student(fields):
    return _register(fields, STUDENT)


@endpoint(bp, "/login_teacher", authenticated=False, errors=(401, 403, 429), returns=a.LOGIN,
          takes=(d.EMAIL_ID.but(example=d.TEACHER_EMAIL), d.PASSWD_HASH), summary="Log a teacher in")
def login_teacher(fields):
    return _login(fields, TEACHER)


@endpoint(bp, "/login_student", authenticated=False, errors=(401, 403, 429), returns=a.LOGIN,
          takes=(d.EMAIL_ID, d.PASSWD_HASH), summary="Log a student in")
def login_student(fields):
    return _login(fields, STUDENT)


@endpoint(bp, "/login_admin", authenticated=False, errors=(401, 403, 429), returns=a.LOGIN,
          takes=(d.EMAIL_ID.but(example=d.ADMIN_EMAIL), d.PASSWD_HASH), summary="Log an administrator in")
def login_admin(fields):
    return _login(fields, ADMIN)


@endpoint(bp, "/logout", email_field="email_id", takes=(), returns=a.SUCCESS,
          summary="Revoke the presented token")
def logout(fields, user):
    auth.logout(bearer_token(fields))
    return {"SUCCESS": "Logged out; this token no longer works."}


@endpoint(bp, "/add_face", role=STUDENT, takes=(d.IMAGE_FILE,), returns=a.ADDED_FACE, errors=(409,),
          summary="Enroll one more photo of the student (at most 10)")
def add_face(fields, student):
    accounts.add_face(student, fields.image(), rules())
    return {"SUCCESS": "Face added.", **profile_json(student)}


@endpoint(bp, "/get_profile", email_field="email_id", takes=(d.USER_TYPE,), returns=a.PROFILE,
          summary="The caller's profile")
def get_profile(fields, user):
    user_type = fields.integer("user_type")
    if user_type is not None and user_type != user.role:
        raise Forbidden("This token belongs to another kind of account.", code="wrong_role")
    return profile_json(user)


@endpoint(bp, "/submit_review", authenticated=False, takes=(d.REVIEW,), returns=a.SUCCESS,
          summary="Store an anonymous review")
def submit_review(fields):
    text = fields.text("review")
    db.session.add(Review(text=text, created_at=clock.utc_naive()))
    return {"SUCCESS": "Thank you for your review."}


@endpoint(bp, "/test_insertion", methods=("GET",), authenticated=False, takes=(), returns=a.EMPTY,
          summary="Confirm the database schema is current (the server migrates on start)")
def test_insertion(fields):
    # The server migrates on start (and `flask --app app db upgrade` does it by hand); the
    # request path only confirms the schema is current.
    health.require_current_schema()
    return {}
