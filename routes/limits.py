"""Rate limiting's plumbing: Flask-Limiter owns the storage (RATELIMIT_STORAGE_URI) and the
client address; services/limits.py counts. No route has a blanket limit: each limit is
taken where the route knows what it counts (a login, a registration, a face mismatch)."""
from flask import current_app, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from werkzeug.middleware.proxy_fix import ProxyFix

from services.limits import Throttles


def install(app):
    trusted = app.config.get("TRUSTED_PROXIES", 0)
    if trusted > 0:
        # X-Forwarded-For is honoured only for the proxies said to be in front; without
        # them a client could name any address and get a fresh allowance each time.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=trusted, x_proto=trusted)
    app.config.setdefault("RATELIMIT_STRATEGY", "moving-window")
    app.config.setdefault("RATELIMIT_STORAGE_URI", "memory://")
    limiter = Limiter(key_func=get_remote_address, app=app)
    config = app.config
    app.extensions["login_throttle"] = Throttles(
        limiter.limiter, login_account=config["LOGIN_ACCOUNT_LIMIT"], login_address=config["LOGIN_ADDRESS_LIMIT"],
        face_mismatch=config["FACE_MISMATCH_LIMIT"], registration=config["REGISTRATION_LIMIT"],
        kiosk_frames=config["KIOSK_FRAME_LIMIT"])


def throttles():
    """The app's Throttles (services/limits.py)."""
    return current_app.extensions["login_throttle"]


def client_address():
    """The caller's address: the socket's peer, or X-Forwarded-For through TRUSTED_PROXIES."""
    return request.remote_addr or "unknown"
