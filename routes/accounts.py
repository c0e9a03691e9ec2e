"""Accounts: registration, login, logout, profile; plus reviews and table creation."""
from flask import current_app, request
from sqlalchemy import func, select

from models import STUDENT, TEACHER, FaceEncoding, Review, db
from routes import api
from routes.common import bearer_token, endpoint, local_iso, settings
from services import auth, clock, faces
from services.errors import Forbidden


def profile_json(user, token=None, expires_at=None):
    faces_enrolled = db.session.scalar(select(func.count()).where(FaceEncoding.user_id == user.id))
    body = {"email_id": user.email, "name": user.name, "user_type": user.role,
            "faces_enrolled": faces_enrolled, "create_datetime": local_iso(user.created_at)}
    if token:
        body.update(token=token, token_expires_at=local_iso(expires_at))
    return body


def _register(fields, role):
    email = fields.email("email_id")
    name = fields.text("teacher_name" if role == TEACHER else "name", max_length=200)
    password = fields.text("passwd_hash", max_length=1024)
    image = fields.image()
    encoding = faces.enrollment_encoding(image, settings()["MAX_IMAGE_PIXELS"])
    user, (token, expires_at) = auth.register(role, email, name, password, encoding, settings()["TOKEN_TTL"])
    return profile_json(user, token, expires_at)


def _login(fields, role):
    email = fields.email("email_id")
    password = fields.text("passwd_hash", max_length=1024)
    user, (token, expires_at) = auth.login(role, email, password, settings()["TOKEN_TTL"],
                                           current_app.extensions["login_throttle"], request.remote_addr)
    return profile_json(user, token, expires_at)


@endpoint(api, "/register_teacher", authenticated=False)
def register_teacher(fields):
    return _register(fields, TEACHER)


@endpoint(api, "/register_student", authenticated=False)
def register_student(fields):
    return _register(fields, STUDENT)


@endpoint(api, "/login_teacher", authenticated=False)
def login_teacher(fields):
    return _login(fields, TEACHER)


@endpoint(api, "/login_student", authenticated=False)
def login_student(fields):
    return _login(fields, STUDENT)


@endpoint(api, "/logout", email_field="email_id")
def logout(fields, user):
    auth.logout(bearer_token(fields))
    return {"SUCCESS": "Logged out; this token no longer works."}


@endpoint(api, "/add_face", role=STUDENT)
def add_face(fields, student):
    encoding = faces.enrollment_encoding(fields.image(), settings()["MAX_IMAGE_PIXELS"])
    auth.add_face(student, encoding)
    return {"SUCCESS": "Face added.", **profile_json(student)}


@endpoint(api, "/get_profile", email_field="email_id")
def get_profile(fields, user):
    user_type = fields.integer("user_type", minimum=0, maximum=1)
    if user_type is not None and user_type != user.role:
        raise Forbidden("This token belongs to another kind of account.", code="wrong_role")
    return profile_json(user)


@endpoint(api, "/submit_review", authenticated=False)
def submit_review(fields):
    text = fields.text("review", max_length=10_000)
    db.session.add(Review(text=text, created_at=clock.utc_naive()))
    return {"SUCCESS": "Thank you for your review."}


@endpoint(api, "/test_insertion", methods=("GET",), authenticated=False)
def test_insertion(fields):
    from app import upgrade_database
    upgrade_database()
    return {}
