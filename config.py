"""Every setting Rollcall reads, with its default, in one place.

The README's configuration table is checked against ``SETTINGS`` by a test.
"""
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from services.sealing import new_key_text, parse_key

INSTANCE_DIR = Path(__file__).resolve().parent / "instance"

# name -> (default, meaning); the default is what runs when the variable is unset.
SETTINGS = {
    "DATABASE_URL": ("sqlite:///instance/rollcall.db", "SQLAlchemy URL of the database; PostgreSQL in production"),
    "SECRET_KEY": ("generated once into instance/secret_key", "Flask secret key"),
    "FACE_KEY": ("generated once into instance/face_key",
                 "64 hex digits: the AES-256-GCM key that seals face templates (keep it out of database backups)"),
    "TOKEN_TTL": ("2592000", "seconds a login token stays valid (30 days)"),
    "FACE_TOLERANCE": ("0.55", "largest face distance accepted as the same person (see Face matching)"),
    "PHOTO_TOLERANCE": ("0.62", "class photos: largest distance at which a face may be a roster student"),
    "PHOTO_REVIEW_BAND": ("0.04", "class photos: faces this close under PHOTO_TOLERANCE go to review, unmarked"),
    "PHOTO_MARGIN": ("0.1", "class photos: how much nearer a face must be to its match than to anyone else"),
    "CHECKIN_GRACE_MINUTES": ("10", "minutes before a session's start when selfie check-in opens"),
    "MAX_UPLOAD_MB": ("10", "largest request body accepted, in MB"),
    "MAX_IMAGE_PIXELS": ("50000000", "largest decoded image accepted, in pixels (decompression-bomb guard)"),
    "MAX_SELFIE_PIXELS": ("25000000", "largest selfie or enrollment photo accepted, in pixels (bounds unauthenticated face work)"),
    "TIMEZONE": ("UTC", "IANA time zone of the school's wall-clock class times"),
    "CORS_ORIGINS": ("*", "comma-separated origins allowed to call the API from a browser"),
    "PASSWORD_HASH": ("scrypt:32768:8:1", "how passwords are hashed (Werkzeug method); lower it only in tests"),
    "ERROR_STATUS": ("http", "`http`: refusals answer their real 4xx status; `200`: they answer 200 with the "
                     "same body, as the original backend did (see Serving the original att-sejal web client)"),
    "LOW_ATTENDANCE_THRESHOLD": ("75", "attendance rate in % under which get_attendance_report flags a student"),
    "RATELIMIT_STORAGE_URI": ("memory://", "where rate limits are counted (Flask-Limiter); redis://host:6379 to share them between workers and hosts"),
    "LOGIN_ACCOUNT_LIMIT": ("10 per 15 minutes", "login attempts per account, counted until one succeeds"),
    "LOGIN_ADDRESS_LIMIT": ("200 per 15 minutes", "failed logins per client address (a ceiling for a school's shared address)"),
    "FACE_MISMATCH_LIMIT": ("5 per 10 minutes", "selfies that do not match, per student, before check-in is refused for a while"),
    "REGISTRATION_LIMIT": ("60 per 10 minutes", "registrations per client address (a computer room enrolling together)"),
    "KIOSK_FRAME_LIMIT": ("180 per minute", "camera frames a door kiosk may send per session (kiosk_check_in); a line at the door needs a few a second"),
    "TRUSTED_PROXIES": ("0", "how many proxies in front set X-Forwarded-For; 0: the header is ignored"),
    "TEACHER_SIGNUP": ("approval", "`approval`: new teachers wait for an admin; `open`: anyone may; `closed`: only admins create teachers"),
    "ERASE_ATTENDANCE": ("0", "1: erasing a student also deletes their attendance records (default: kept, pseudonymised)"),
    "FACE_RETENTION_DAYS": ("0", "`privacy purge` erases the faces of students unseen this many days (0: keep)"),
    "STUDENT_EMAIL_DOMAINS": ("*", "comma-separated email domains students may self-enroll with (`*`: any)"),
    "REDIS_URL": ("unset: class-photo jobs run in the web process", "Redis for class-photo jobs (async=1), run by `flask --app app jobs worker` (docs/deployment.md)"),
    "PHOTO_JOB_TTL": ("3600", "seconds a class-photo job's answer is kept after it finished; its photos are deleted once it ran"),
}
SIGNUP_MODES = ("approval", "open", "closed")


def _env(name):
    return os.environ.get(name) or SETTINGS[name][0]


def _secret_key():
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    path = INSTANCE_DIR / "secret_key"
    if not path.exists():
        INSTANCE_DIR.mkdir(exist_ok=True)
        # O_EXCL: two processes starting at once must not overwrite each other's key.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_hex(32))
        except FileExistsError:
            pass
    return path.read_text().strip()


def _face_key():
    """FACE_KEY from the environment, else a key generated once into instance/face_key."""
    text = os.environ.get("FACE_KEY")
    if not text:
        path = INSTANCE_DIR / "face_key"
        if not path.exists():
            INSTANCE_DIR.mkdir(exist_ok=True)
            try:  # O_EXCL, as for the secret key: concurrent starts keep one key
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "w") as f:
                    f.write(new_key_text())
            except FileExistsError:
                pass
        text = path.read_text().strip()
    try:
        parse_key(text)
    except ValueError as exc:
        raise SystemExit(str(exc)) from None
    return text


def _database_url():
    url = _env("DATABASE_URL")
    if url == SETTINGS["DATABASE_URL"][0]:
        INSTANCE_DIR.mkdir(exist_ok=True)
        return f"sqlite:///{INSTANCE_DIR / 'rollcall.db'}"
    return url


def database_driver_url(url):
    """``url`` with the psycopg2 driver named: SQLAlchemy 2.1 would pick psycopg 3 for a bare
    postgresql:// URL, and hosting services still hand out postgres:// ones."""
    for scheme in ("postgres://", "postgresql://"):
        if url.startswith(scheme):
            return "postgresql+psycopg2://" + url[len(scheme):]
    return url


def _error_status(value):
    """``http`` or ``200``, checked now: a typo should stop the start."""
    if value.lower() not in ("http", "200"):
        raise SystemExit(f"ERROR_STATUS={value!r} must be http or 200")
    return value.lower()


def _time_zone(name):
    """The zone name, checked now: a typo should stop the start, not fail every request."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise SystemExit(f"TIMEZONE={name!r} is not an IANA time zone (for example Europe/Paris)") from None
    return name


def _percent(name):
    value = float(_env(name))
    if not 0 <= value <= 100:
        raise SystemExit(f"{name}={value:g} is not a percentage between 0 and 100")
    return value


def _rate_limit(name):
    """A limit such as "10 per 15 minutes", checked now: a typo should stop the start."""
    from limits import parse
    value = _env(name)
    try:
        parse(value)
    except ValueError:
        raise SystemExit(f"{name}={value!r} is not a rate limit (for example 10 per 15 minutes)") from None
    return value
def _signup(value):
    if value not in SIGNUP_MODES:
        raise SystemExit(f"TEACHER_SIGNUP={value!r} must be one of {', '.join(SIGNUP_MODES)}")
    return value


def _domains(value):
    return tuple(d.strip().lower().lstrip("@") for d in value.split(",") if d.strip() not in ("", "*"))


_READERS = {
    "SQLALCHEMY_DATABASE_URI": _database_url,
    "SECRET_KEY": _secret_key,
    "FACE_KEY": _face_key,
    "TOKEN_TTL": lambda: int(_env("TOKEN_TTL")),
    "FACE_TOLERANCE": lambda: float(_env("FACE_TOLERANCE")),
    "PHOTO_TOLERANCE": lambda: float(_env("PHOTO_TOLERANCE")),
    "PHOTO_REVIEW_BAND": lambda: float(_env("PHOTO_REVIEW_BAND")),
    "PHOTO_MARGIN": lambda: float(_env("PHOTO_MARGIN")),
    "CHECKIN_GRACE_MINUTES": lambda: int(_env("CHECKIN_GRACE_MINUTES")),
    "MAX_CONTENT_LENGTH": lambda: int(float(_env("MAX_UPLOAD_MB")) * 1024 * 1024),
    "MAX_IMAGE_PIXELS": lambda: int(_env("MAX_IMAGE_PIXELS")),
    "MAX_SELFIE_PIXELS": lambda: int(_env("MAX_SELFIE_PIXELS")),
    "TIMEZONE": lambda: _time_zone(_env("TIMEZONE")),
    "CORS_ORIGINS": lambda: [o.strip() for o in _env("CORS_ORIGINS").split(",") if o.strip()],
    "PASSWORD_HASH": lambda: _env("PASSWORD_HASH"),
    "ERROR_STATUS": lambda: _error_status(_env("ERROR_STATUS")),
    "LOW_ATTENDANCE_THRESHOLD": lambda: _percent("LOW_ATTENDANCE_THRESHOLD"),
    "RATELIMIT_STORAGE_URI": lambda: _env("RATELIMIT_STORAGE_URI"),
    "LOGIN_ACCOUNT_LIMIT": lambda: _rate_limit("LOGIN_ACCOUNT_LIMIT"),
    "LOGIN_ADDRESS_LIMIT": lambda: _rate_limit("LOGIN_ADDRESS_LIMIT"),
    "FACE_MISMATCH_LIMIT": lambda: _rate_limit("FACE_MISMATCH_LIMIT"),
    "REGISTRATION_LIMIT": lambda: _rate_limit("REGISTRATION_LIMIT"),
    "KIOSK_FRAME_LIMIT": lambda: _rate_limit("KIOSK_FRAME_LIMIT"),
    "TRUSTED_PROXIES": lambda: int(_env("TRUSTED_PROXIES")),
    "TEACHER_SIGNUP": lambda: _signup(_env("TEACHER_SIGNUP")),
    "STUDENT_EMAIL_DOMAINS": lambda: _domains(_env("STUDENT_EMAIL_DOMAINS")),
    "ERASE_ATTENDANCE": lambda: _env("ERASE_ATTENDANCE").strip().lower() in ("1", "true", "yes", "on"),
    "FACE_RETENTION_DAYS": lambda: int(_env("FACE_RETENTION_DAYS")),
    "REDIS_URL": lambda: os.environ.get("REDIS_URL") or None,
    "PHOTO_JOB_TTL": lambda: int(_env("PHOTO_JOB_TTL")),
}


def effective_names():
    """The app configuration keys the settings above become."""
    return list(_READERS)


def load(overrides=None):
    """The app's configuration: ``overrides`` first, then the environment, then defaults.

    Settings given in ``overrides`` are not read at all, so a test that passes its own
    SECRET_KEY and database writes nothing under instance/.
    """
    overrides = dict(overrides or {})
    config = {key: read() for key, read in _READERS.items() if key not in overrides}
    config.update(overrides)
    # A base64 photo arrives as a form field (the web client's `image`): Werkzeug's own 500 kB
    # limit on one field would refuse a large photo long before MAX_UPLOAD_MB does.
    config.setdefault("MAX_FORM_MEMORY_SIZE", config["MAX_CONTENT_LENGTH"])
    # where `privacy rotate-key` keeps the new key: the file, unless the key is given from outside
    generated = "FACE_KEY" not in overrides and not os.environ.get("FACE_KEY")
    config.setdefault("FACE_KEY_FILE", str(INSTANCE_DIR / "face_key") if generated else None)
    config["SQLALCHEMY_DATABASE_URI"] = database_driver_url(config["SQLALCHEMY_DATABASE_URI"])
    return config


@dataclass(frozen=True)
class Rules:
    """The settings the services act on: what a request may do, and how faces are judged."""
    timezone: str
    token_ttl: int
    password_method: str
    grace_minutes: int
    max_image_pixels: int
    face_tolerance: float
    photo_tolerance: float
    photo_review_band: float
    photo_margin: float
    max_selfie_pixels: int = 25_000_000  # never more than max_image_pixels (from_config)
    teacher_signup: str = "approval"
    student_email_domains: tuple = ()
    erase_attendance: bool = False
    face_retention_days: int = 0
    face_key: bytes = field(default=b"", repr=False)  # never printed in a traceback or log

    @classmethod
    def from_config(cls, config):
        return cls(timezone=config["TIMEZONE"], token_ttl=config["TOKEN_TTL"],
                   password_method=config["PASSWORD_HASH"], grace_minutes=config["CHECKIN_GRACE_MINUTES"],
                   max_image_pixels=config["MAX_IMAGE_PIXELS"], face_tolerance=config["FACE_TOLERANCE"],
                   photo_tolerance=config["PHOTO_TOLERANCE"], photo_review_band=config["PHOTO_REVIEW_BAND"],
                   photo_margin=config["PHOTO_MARGIN"],
                   max_selfie_pixels=min(config["MAX_SELFIE_PIXELS"], config["MAX_IMAGE_PIXELS"]),
                   teacher_signup=_signup(config["TEACHER_SIGNUP"]),
                   student_email_domains=_domains_of(config["STUDENT_EMAIL_DOMAINS"]),
                   erase_attendance=bool(config["ERASE_ATTENDANCE"]),
                   face_retention_days=int(config["FACE_RETENTION_DAYS"]),
                   face_key=parse_key(config["FACE_KEY"]))


def _domains_of(value):
    """Overrides may give the domains as a string, as the environment does."""
    return _domains(value) if isinstance(value, str) else tuple(value)
