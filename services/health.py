"""Readiness for load balancers: can this process answer API calls right now?"""
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from models import db
from services import faces
from services.errors import Unavailable


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
        faces.models()
    except Exception:  # noqa: BLE001 - any failure to load means the instance is not ready
        raise Unavailable("The face models could not be loaded; this instance cannot check anyone in.",
                          code="models_unavailable") from None
    return {"status": "ok", "database": "ok", "models": "loaded"}
