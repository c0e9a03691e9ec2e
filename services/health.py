"""Readiness: can this process answer API calls right now, on the current schema?"""
import functools
from pathlib import Path

from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from models import db
from services.errors import Unavailable
from services.faces.models import dlib_blas, dlib_models

MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"


def check():
    """Raises Unavailable naming the first part that is not ready."""
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
        raise Unavailable("The database is unreachable; this instance cannot serve requests.",
                          code="database_unavailable") from None
    try:
        # Already loaded before fork in production, so this costs nothing there; a development
        # server loads them here rather than reporting itself unhealthy.
        dlib_models()
    except Exception:  # noqa: BLE001 - any failure to load means the instance is not ready
        raise Unavailable("The face models could not be loaded; this instance cannot check anyone in.",
                          code="models_unavailable") from None
    return {"status": "ok", "database": "ok", "models": "loaded", "blas": dlib_blas()}


@functools.lru_cache(maxsize=1)
def schema_head():
    return ScriptDirectory(str(MIGRATIONS)).get_current_head()


def require_current_schema():
    """Reads the schema version the database is at; Unavailable unless it is the newest."""
    current = MigrationContext.configure(db.session.connection()).get_current_revision()
    if current != schema_head():
        raise Unavailable("The database schema is not current; run `flask --app app db upgrade`.",
                          code="schema_outdated")
