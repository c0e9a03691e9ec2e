"""Every setting Rollcall reads, with its default, in one place.

The README's configuration table is checked against ``SETTINGS`` by a test.
"""
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

INSTANCE_DIR = Path(__file__).resolve().parent / "instance"

# name -> (default, meaning); the default is what runs when the variable is unset.
SETTINGS = {
    "DATABASE_URL": ("sqlite:///instance/rollcall.db", "SQLAlchemy URL of the database; PostgreSQL in production"),
    "SECRET_KEY": ("generated once into instance/secret_key", "Flask secret key"),
    "TOKEN_TTL": ("2592000", "seconds a login token stays valid (30 days)"),
    "FACE_TOLERANCE": ("0.55", "largest face distance accepted as the same person (see Face matching)"),
    "PHOTO_TOLERANCE": ("0.62", "class photos: largest distance at which a face may be a roster student"),
    "PHOTO_REVIEW_BAND": ("0.04", "class photos: faces this close under PHOTO_TOLERANCE go to review, unmarked"),
    "PHOTO_MARGIN": ("0.1", "class photos: how much nearer a face must be to its match than to anyone else"),
    "CHECKIN_GRACE_MINUTES": ("10", "minutes before a session's start when selfie check-in opens"),
    "MAX_UPLOAD_MB": ("10", "largest request body accepted, in MB"),
    "MAX_IMAGE_PIXELS": ("50000000", "largest decoded image accepted, in pixels (decompression-bomb guard)"),
    "TIMEZONE": ("UTC", "IANA time zone of the school's wall-clock class times"),
    "CORS_ORIGINS": ("*", "comma-separated origins allowed to call the API from a browser"),
    "PASSWORD_HASH": ("scrypt:32768:8:1", "how passwords are hashed (Werkzeug method); lower it only in tests"),
    "REDIS_URL": ("unset: class-photo jobs run in the web process", "Redis for class-photo jobs (async=1), run by `flask --app app jobs worker` (README: Scaling out)"),
    "PHOTO_JOB_TTL": ("3600", "seconds a class-photo job's answer is kept after it finished; its photos are deleted once it ran"),
}


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


def _time_zone(name):
    """The zone name, checked now: a typo should stop the start, not fail every request."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise SystemExit(f"TIMEZONE={name!r} is not an IANA time zone (for example Europe/Paris)") from None
    return name


_READERS = {
    "SQLALCHEMY_DATABASE_URI": _database_url,
    "SECRET_KEY": _secret_key,
    "TOKEN_TTL": lambda: int(_env("TOKEN_TTL")),
    "FACE_TOLERANCE": lambda: float(_env("FACE_TOLERANCE")),
    "PHOTO_TOLERANCE": lambda: float(_env("PHOTO_TOLERANCE")),
    "PHOTO_REVIEW_BAND": lambda: float(_env("PHOTO_REVIEW_BAND")),
    "PHOTO_MARGIN": lambda: float(_env("PHOTO_MARGIN")),
    "CHECKIN_GRACE_MINUTES": lambda: int(_env("CHECKIN_GRACE_MINUTES")),
    "MAX_CONTENT_LENGTH": lambda: int(float(_env("MAX_UPLOAD_MB")) * 1024 * 1024),
    "MAX_IMAGE_PIXELS": lambda: int(_env("MAX_IMAGE_PIXELS")),
    "TIMEZONE": lambda: _time_zone(_env("TIMEZONE")),
    "CORS_ORIGINS": lambda: [o.strip() for o in _env("CORS_ORIGINS").split(",") if o.strip()],
    "PASSWORD_HASH": lambda: _env("PASSWORD_HASH"),
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

    @classmethod
    def from_config(cls, config):
        return cls(timezone=config["TIMEZONE"], token_ttl=config["TOKEN_TTL"],
                   password_method=config["PASSWORD_HASH"], grace_minutes=config["CHECKIN_GRACE_MINUTES"],
                   max_image_pixels=config["MAX_IMAGE_PIXELS"], face_tolerance=config["FACE_TOLERANCE"],
                   photo_tolerance=config["PHOTO_TOLERANCE"], photo_review_band=config["PHOTO_REVIEW_BAND"],
                   photo_margin=config["PHOTO_MARGIN"])
