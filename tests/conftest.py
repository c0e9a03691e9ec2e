"""Fixtures: a fresh app per test on a schema built by the real migrations.

TEST_DATABASE_URL picks the database (PostgreSQL in CI's second pass); without it each
run uses a throwaway SQLite file. Factories live in tests/helpers.py.
"""
import os

import pytest
from sqlalchemy import MetaData, create_engine, delete

import models
from app import create_app, upgrade_database
from config import database_driver_url
from models import STUDENT, TEACHER, db
from services import clock
from tests import helpers


def _drop_everything(url):
    engine = create_engine(database_driver_url(url))
    meta = MetaData()
    meta.reflect(engine)
    meta.drop_all(engine)
    engine.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    url = os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    _drop_everything(url)  # a crashed earlier run may have left tables behind
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "test", "FACE_KEY": helpers.FACE_KEY})
    with app.app_context():
        upgrade_database()
        db.engine.dispose()
    yield url
    _drop_everything(url)


@pytest.fixture(scope="session")
def redis_url():
    """TEST_REDIS_URL's database, for the tests marked ``redis`` (CI has Redis; deselect them
    with -m "not redis" where none runs). A test deletes the keys it made."""
    return os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/14")


@pytest.fixture
def settings(database_url):
    """The test configuration: what differs from the defaults a deployment runs with."""
    return {"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "test", "FACE_KEY": helpers.FACE_KEY,
            "TESTING": True, "TIMEZONE": "UTC", "CORS_ORIGINS": ["*"],
            "PASSWORD_HASH": helpers.CHEAP_PASSWORD_HASH,
            "REDIS_URL": None}  # class-photo jobs in-process unless a test asks for Redis


@pytest.fixture
def app(settings, request):
    # @pytest.mark.settings(TEACHER_SIGNUP="open") changes settings for one test
    marker = request.node.get_closest_marker("settings")
    app = create_app({**settings, **(marker.kwargs if marker else {})})
    with app.app_context():
        yield app
        db.session.remove()
        with db.engine.begin() as connection:
            for table in reversed(models.Base.metadata.sorted_tables):
                connection.execute(delete(table))
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def at(monkeypatch):
    """Freezes the clock at a given UTC datetime: ``at(datetime(2026, 3, 2, 9, 5))``."""
    def freeze(moment):
        monkeypatch.setattr(clock, "now", lambda: moment.replace(tzinfo=clock.timezone.utc))
    return freeze


@pytest.fixture
def make_user(app, request):
    """helpers.make_user with the encoder the test needs: tests marked ``face`` enroll the
    real encoding of the photo, the others a stand-in (and never load the face model)."""
    encode = helpers.real_encoding if request.node.get_closest_marker("face") else helpers.stand_in_encoding

    def make(email, role=STUDENT, photo="obama.jpg", name=None):
        return helpers.make_user(email, role, photo, name, encode=encode)
    return make


@pytest.fixture
def teacher(make_user):
    return make_user("teacher@school.test", TEACHER, photo="biden.jpg", name="Ms Teacher")


@pytest.fixture
def student(make_user):
    return make_user("obama@school.test", STUDENT, photo="obama.jpg", name="Barack")


@pytest.fixture
def it(app):
    """An administrator (the school's IT), made as `flask users create-admin` does: (email, token)."""
    from services import accounts, auth
    user = accounts.create_user(models.ADMIN, "it@school.test", "School IT", helpers.PASSWORD, None,
                                helpers.CHEAP_PASSWORD_HASH)
    token, _ = auth.issue_token(user, 3600)
    db.session.commit()
    return "it@school.test", token


@pytest.fixture
def school(make_user, at):
    """At noon: a teacher (enrolled with a stranger's face) and every person in helpers.PEOPLE
    as a student, named after their address."""
    at(helpers.NOON)
    teacher = make_user("teacher@school.test", TEACHER, photo=helpers.STRANGER)
    for email, (enrolled, _) in helpers.PEOPLE.items():
        make_user(email, photo=enrolled, name=email.split("@")[0].title())
    return teacher


@pytest.fixture
def smtp():
    """A mail server of the test's own (tests.mailbox): a module points SMTP_URL at it."""
    from tests.mailbox import SmtpServer

    server = SmtpServer()
    yield server
    server.stop()
