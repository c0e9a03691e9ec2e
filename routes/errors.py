"""The one place errors become the contract's error shape, {"ERROR", "code"}."""
import logging

from flask import jsonify
from sqlalchemy.exc import IntegrityError, OperationalError
from werkzeug.exceptions import HTTPException

from models import db
from services.errors import ApiError

log = logging.getLogger(__name__)

HTTP_CODES = {400: "bad_request", 404: "not_found", 405: "method_not_allowed",
              413: "too_large", 415: "not_an_image", 429: "too_many_attempts"}


def error(status, code, message):
    return jsonify({"ERROR": message, "code": code}), status


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
        log.exception("database error")
        return error(503, "database_unavailable", "The database is busy or unreachable; try again.")

    @app.errorhandler(Exception)
    def unexpected(exc):
        db.session.rollback()
        log.exception("unhandled error")
        return error(500, "internal_error", "Something went wrong on our side; nothing was changed.")
