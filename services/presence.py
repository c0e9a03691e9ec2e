"""Presence codes: a session can require the 6-digit code the teacher shows in the room, which
rotates every 30 s (TOTP, RFC 6238), so a genuine selfie taken elsewhere does not check in.

Each such session has its own random secret, kept in the database and never sent out; the
teacher gets the current code (and a QR code of it), students type it with their selfie.
"""
import base64
import io
from types import SimpleNamespace

import pyotp
import qrcode
from sqlalchemy import select

from models import AttendanceRecord, PresenceSecret, db
from services import clock
from services.errors import BadPresenceCode, Conflict

STEP_SECONDS = 30
VALID_STEPS = 1  # the previous and the next code are accepted too: clocks and typing take time
DIGITS = 6


def _totp(secret):
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS)


def require_code(sessions):
    """Gives each new (flushed) session its own secret."""
    now = clock.utc_naive()
    db.session.add_all(PresenceSecret(session_id=s.id, secret=pyotp.random_base32(), created_at=now)
                       for s in sessions)
    db.session.flush()


def with_secret(record_query):
    """A record query (services.records.record_rows) that also reads its session's secret as
    ``presence_secret`` (None when the session needs no code), in the same statement."""
    return (record_query.add_columns(PresenceSecret.secret.label("presence_secret"))
            .outerjoin(PresenceSecret, PresenceSecret.session_id == AttendanceRecord.session_id))


def check(secret, code):
    """Raises BadPresenceCode unless the session needs no code or ``code`` is current (+-1 step)."""
    if secret is None:
        return
    code = (code or "").replace(" ", "")
    if not code:
        raise BadPresenceCode("This class needs the presence code shown in the room: send it as presence_code.")
    if not (code.isdigit() and len(code) == DIGITS
            and _totp(secret).verify(code, for_time=clock.now(), valid_window=VALID_STEPS)):
        raise BadPresenceCode("This presence code is wrong or has expired; type the one shown in the room now.")


def current_code(session, with_qr=False):
    """The session's code now, how many seconds it stays the newest, and optionally a PNG QR code."""
    secret = db.session.scalar(select(PresenceSecret.secret).where(PresenceSecret.session_id == session.id))
    if secret is None:
        raise Conflict("This class session does not require a presence code (create it with require_code=1).",
                       code="no_presence_code")
    now = clock.now()
    code = _totp(secret).at(now)
    seconds_left = STEP_SECONDS - int(now.timestamp()) % STEP_SECONDS
    return SimpleNamespace(code=code, seconds_left=seconds_left, qr_png=_qr_png(code) if with_qr else None)


def _qr_png(code):
    image = qrcode.make(code, box_size=12, border=2)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def qr_base64(png):
    return base64.b64encode(png).decode("ascii")
