"""Fixtures: a fresh app per test on a schema built by the real migrations, and factories.

TEST_DATABASE_URL picks the database (PostgreSQL in CI's second pass); without it each
run uses a throwaway SQLite file.
"""
import os
import zlib
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import MetaData, create_engine, delete

import models
from app import create_app, upgrade_database
from config import database_driver_url
from models import STUDENT, TEACHER, db
from services import auth, clock, faces

FIXTURES = Path(__file__).parent / "fixtures"
PASSWORD = "5f4dcc3b5aa765d61d8327deb882cf99"  # what the web client sends: an MD5 of the password


def fixture_bytes(name):
    return (FIXTURES / name).read_bytes()


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
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "test"})
    with app.app_context():
        upgrade_database()
        db.engine.dispose()
    yield url
    _drop_everything(url)


@pytest.fixture
def settings(database_url):
    return {"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "test", "TESTING": True,
            "TIMEZONE": "UTC", "CORS_ORIGINS": ["*"]}


@pytest.fixture
def app(settings):
    app = create_app(settings)
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


_encodings = {}


def encoding_of(photo):
    """The real pipeline's encoding of a fixture photo, computed once per test run."""
    if photo not in _encodings:
        _encodings[photo] = faces.enrollment_encoding(fixture_bytes(photo), 50_000_000)
    return _encodings[photo]


def stand_in_encoding(photo):
    """A fixed 128-d vector per photo, for tests that never compare faces (so they run
    without the face model, as ``pytest -m "not face"`` promises)."""
    return np.random.default_rng(zlib.crc32(photo.encode())).normal(0, 0.1, 128)


@pytest.fixture
def make_user(app, request):
    """Creates an account enrolled with a fixture photo; returns (email, token).

    Tests marked ``face`` get the real encoding of the photo, the others a stand-in.
    """
    encode = encoding_of if request.node.get_closest_marker("face") else stand_in_encoding

    def make(email, role=STUDENT, photo="obama.jpg", name=None):
        user, (token, _) = auth.register(role, email, name or email.split("@")[0], PASSWORD,
                                         encode(photo), 3600)
        db.session.commit()
        return email, token
    return make


@pytest.fixture
def teacher(make_user):
    return make_user("teacher@school.test", TEACHER, photo="biden.jpg", name="Ms Teacher")


@pytest.fixture
def student(make_user):
    return make_user("obama@school.test", STUDENT, photo="obama.jpg", name="Barack")


def post(client, path, token=None, **fields):
    """POSTs multipart form fields (as the web client does) to /api/v1/<path>."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.post(f"/api/v1/{path}", data=fields, headers=headers, content_type="multipart/form-data")


def slot_fields(start, minutes=60, name="Math 101"):
    end = start + timedelta(minutes=minutes)
    return {"class_name": name, "class_date": start.strftime("%Y-%m-%d"),
            "start_time": start.strftime("%H:%M"), "end_time": end.strftime("%H:%M")}


NOON = datetime(2026, 3, 2, 12, 0)
