"""The one place errors become the contract's error shape, {"ERROR", "code"}."""
import logging

from flask import current_app, jsonify, request
from sqlalchemy.exc import IntegrityError, OperationalError
from werkzeug.exceptions import HTTPException

from models import db
from services.errors import ApiError

log = logging.getLogger(__name__)

# PostgreSQL's deadlock_detected and serialization_failure: two requests edited the same rows
# at once and the database stopped one of them; nothing was written, the caller may retry.
CONCURRENT_CHANGE_PGCODES = ("40P01", "40001")
HTTP_CODES = {400: "bad_request", 404: "not_found", 405: "method_not_allowed",
              413: "too_large", 415: "not_an_image", 429: "too_many_attempts"}


def error(status, code, message):
    body = jsonify({"ERROR": message, "code": code})
    if status < 500 and _refusals_answer_200():
        # The original web client reads res.ERROR only from a 200 (ERROR_STATUS=200); the
        # real status stays visible to logs and tools in a header.
        body.headers["X-Error-Status"] = str(status)
        return body, 200
    return body, status


def _refusals_answer_200():
    """ERROR_STATUS=200 and a request to the API: every refusal there answers 200, including
    those raised before a view runs (unknown path, wrong method, too large). Server faults
    (500, 503) and paths outside /api keep their status."""
    return current_app.config.get("ERROR_STATUS") == "200" and request.path.startswith("/api/")


def register_error_handlers(app):
    @app.errorhandler(ApiError)
    def api_error(exc):
        db.session.rollback()
        response, status = error(exc.status, exc.code, exc.message)
        if getattr(exc, "retry_after", None):  # a rate limit: when to try again
            response.headers["Retry-After"] = str(exc.retry_after)
        return response, status

    @app.errorhandler(IntegrityError)
    def conflict(exc):
        # Constraints the services do not translate themselves: still a conflict, not a crash.
        db.session.rollback()
        return error(409, "conflict", "This would duplicate an existing record.")

    @app.errorhandler(HTTPException)
    def http_error(exc):
        db.session.rollback()
        if exc.code == 413:
            limit_mb = (app.config.get("MAX_CONTENT_LENGTH") or 0) / (1024 * 1024)
            return error(413, "too_large", f"The request is larger than the {limit_mb:g} MB limit.")
        return error(exc.code, HTTP_CODES.get(exc.code, "http_error"), exc.description)

    @app.errorhandler(OperationalError)
    def database_unavailable(exc):
        db.session.rollback()
        if getattr(exc.orig, "pgcode", None) in CONCURRENT_CHANGE_PGCODES:
            return error(409, "concurrent_change", "Another change to the same rows got in the way; try again.")
        log.exception("database error")
        return error(503, "database_unavailable", "The database is busy or unreachable; try again.")

    @app.errorhandler(Exception)
    def unexpected(exc):
        db.session.rollback()
        log.exception("unhandled error")
        return error(500, "internal_error", "Something went wrong on our side; nothing was changed.")
