"""Rollcall: class attendance by face recognition. ``python app.py`` serves on port 5000."""
import logging
import os
from pathlib import Path

from flask import Flask
from flask_cors import CORS
from flask_migrate import Migrate, upgrade
from sqlalchemy import event

import commands
import config
import routes
from models import db
from routes import limits
from routes.json_output import OrjsonProvider
from routes.uploads import InMemoryRequest
from services import mail, photo_jobs, session_closing, timing, webhooks
from services.faces import load_models
from services.faces import processes as face_processes

MIGRATIONS = str(Path(__file__).resolve().parent / "migrations")
migrate = Migrate(directory=MIGRATIONS)


def create_app(overrides=None):
    app = Flask(__name__)
    app.request_class = InMemoryRequest  # uploads never touch the disk
    app.config.update(config.load(overrides))
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = _engine_options(app.config["SQLALCHEMY_DATABASE_URI"])
    app.json = OrjsonProvider(app)

    db.init_app(app)
    migrate.init_app(app, db, render_as_batch=True)
    CORS(app, resources={r"/api/*": {"origins": app.config["CORS_ORIGINS"]}, r"/healthz": {"origins": "*"}})
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            event.listen(db.engine, "connect", _sqlite_pragmas)

    app.extensions["rollcall_rules"] = config.Rules.from_config(app.config)
    limits.install(app)  # rate limits (app.extensions["login_throttle"]) and TRUSTED_PROXIES

    routes.register(app)
    commands.register(app)
    photo_jobs.init_app(app)
    app.before_request(timing.start)
    app.after_request(_server_timing)
    return app


def _server_timing(response):
    if timing.collected():
        response.headers["Server-Timing"] = timing.header()
    return response


def _engine_options(url):
    if url.startswith("sqlite"):
        # Concurrent writers wait for the lock instead of failing at once.
        return {"connect_args": {"timeout": 30}}
    return {"pool_pre_ping": True}


def _sqlite_pragmas(dbapi_connection, _record):
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def upgrade_database():
    """Brings the database to the current schema (what ``flask db upgrade`` does)."""
    upgrade(directory=MIGRATIONS)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    app = create_app()
    with app.app_context():
        upgrade_database()
    load_models()  # once before the first request rather than during it
    face_processes.start()  # the face pipeline in a process of its own, so reads never wait for it
    session_closing.start_closer(app, app.config["CLOSE_SESSIONS_EVERY"])  # after that fork: one thread then
    webhooks.start_sender(app)
    mail.start_sender(app)
    app.run(host=os.environ.get("HOST", "127.0.0.1"), port=int(os.environ.get("PORT", "5000")))
