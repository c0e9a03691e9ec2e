"""Every setting Rollcall reads, declared once in ``SETTINGS``: its default, its meaning and
its reader. The app's configuration (load), `flask --app app config show` and the README's
table (checked by a test) all come from it.
"""
import ipaddress
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from services.sealing import KeyRing, new_key_text, parse_ring

INSTANCE_DIR = Path(__file__).resolve().parent / "instance"

@dataclass(frozen=True)
class Setting:
    """One environment variable: its default (what runs when it is unset, as the README's
    table shows it), its meaning, and how its text becomes the app's value. A reader refuses a
    bad value with ValueError, which stops the start with the setting's name."""
    name: str
    default: str
    meaning: str
    read: Callable[[str | None], Any] = str
    key: str | None = None  # the app configuration key, when it is not the name
    described: bool = False  # the default describes what happens: the reader gets None when unset

    @property
    def config_key(self):
        return self.key or self.name

    def value(self):
        text = os.environ.get(self.name) or (None if self.described else self.default)
        try:
            return self.read(text)
        except ValueError as exc:
            raise SystemExit(f"{self.name}={text!r}: {exc}") from None


def _generated_secret(file_name, make):
    """The secret kept in instance/<file_name>, made once. O_EXCL: two processes starting at
    once must not overwrite each other's secret."""
    path = INSTANCE_DIR / file_name
    if not path.exists():
        INSTANCE_DIR.mkdir(exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(make())
        except FileExistsError:
            pass
    return path.read_text().strip()


def _secret_key(text):
    return text or _generated_secret("secret_key", lambda: secrets.token_hex(32))


def _face_key(text):
    text = text or _generated_secret("face_key", new_key_text)
    parse_ring(text)
    return text


def _database_url(text):
    if text == "sqlite:///instance/rollcall.db":  # the default, relative to this folder
        INSTANCE_DIR.mkdir(exist_ok=True)
        return f"sqlite:///{INSTANCE_DIR / 'rollcall.db'}"
    return text


def database_driver_url(url):
    """``url`` with the psycopg2 driver named: SQLAlchemy 2.1 would pick psycopg 3 for a bare
    postgresql:// URL, and hosting services still hand out postgres:// ones."""
    for scheme in ("postgres://", "postgresql://"):
        if url.startswith(scheme):
            return "postgresql+psycopg2://" + url[len(scheme):]
    return url


def _one_of(*choices):
    def read(text):
        if text.lower() not in choices:
            raise ValueError(f"must be one of {', '.join(choices)}")
        return text.lower()
    return read


def _time_zone(text):
    try:
        ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError("not an IANA time zone (for example Europe/Paris)") from None
    return text


def _percent(text):
    value = float(text)
    if not 0 <= value <= 100:
        raise ValueError("not a percentage between 0 and 100")
    return value


def _rate_limit(text):
    from limits import parse
    parse(text)  # ValueError: not a rate limit such as "10 per 15 minutes"
    return text


def _megabytes(text):
    return int(float(text) * 1024 * 1024)


def _list(text):
    return [item.strip() for item in text.split(",") if item.strip()]


def _flag(text):
    return text.strip().lower() in ("1", "true", "yes", "on")


def _networks(text):
    """'10.0.0.0/8, 2001:db8::/32' -> the ranges as normalised text; None or blank -> () (anywhere)."""
    try:
        return tuple(str(ipaddress.ip_network(item, strict=False)) for item in _list(text or ""))
    except ValueError as exc:
        raise ValueError(f"not a comma-separated list of CIDR ranges ({exc})") from None


def _optional(text):
    return text or None


SMTP_SCHEMES = ("smtp", "smtps")


def _smtp_url(text):
    """smtp://[user:password@]host[:port][?starttls=1] or smtps://...; None (unset): no mail.
    Checked at start so a typo stops the server rather than every mail later."""
    if not text:
        return None
    parts = urlsplit(text)
    if parts.scheme not in SMTP_SCHEMES or not parts.hostname:
        raise ValueError("not smtp://host[:port] or smtps://host[:port] (user:password@ optional)")
    try:
        parts.port  # noqa: B018 (a port that is not a number raises here)
    except ValueError:
        raise ValueError("the port is not a number") from None
    options = dict(parse_qsl(parts.query))
    if set(options) - {"starttls"} or options.get("starttls", "0") not in ("0", "1"):
        raise ValueError("the only option is ?starttls=1 (smtp:// upgraded with STARTTLS)")
    if parts.scheme == "smtps" and options.get("starttls") == "1":
        raise ValueError("smtps:// is already encrypted; starttls=1 goes with smtp://")
    return text


WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _weekly_moment(text):
    """'mon 08:00' -> (0, 8, 0): a weekday (0 Monday) and a wall-clock time in TIMEZONE."""
    day, _, clock_time = text.strip().lower().partition(" ")
    try:
        hour, minute = (int(part) for part in clock_time.strip().split(":"))
    except ValueError:
        raise ValueError("not a weekday and a time such as 'mon 08:00'") from None
    if day[:3] not in WEEKDAY_NAMES or not (0 <= hour < 24 and 0 <= minute < 60):
        raise ValueError("not a weekday and a time such as 'mon 08:00'")
    return WEEKDAY_NAMES.index(day[:3]), hour, minute


def _domains(value):
    return tuple(d.strip().lower().lstrip("@") for d in value.split(",") if d.strip() not in ("", "*"))


SIGNUP_MODES = ("approval", "open", "closed")
_error_status = _one_of("http", "200")
_signup = _one_of(*SIGNUP_MODES)

def _positive(text):
    value = int(text)
    if value < 1:
        raise ValueError("must be a whole number of at least 1")
    return value


SETTINGS = (
    Setting("DATABASE_URL", "sqlite:///instance/rollcall.db",
            "SQLAlchemy URL of the database; PostgreSQL in production", _database_url,
            key="SQLALCHEMY_DATABASE_URI"),
    Setting("SECRET_KEY", "generated once into instance/secret_key",
            "Flask secret key", _secret_key, described=True),
    Setting("FACE_KEY", "generated once into instance/face_key",
            "64 hex digits: the AES-256-GCM key that seals face templates (keep it out of database backups); "
            "several, comma-separated, newest first, form a key ring: the first seals, all open (docs/privacy.md)",
            _face_key, described=True),
    Setting("TOKEN_TTL", "2592000", "seconds a login token stays valid (30 days)", int),
    Setting("FACE_TOLERANCE", "0.55",
            "largest face distance accepted as the same person (see Face matching)", float),
    Setting("PHOTO_TOLERANCE", "0.62",
            "class photos: largest distance at which a face may be a roster student", float),
    Setting("PHOTO_REVIEW_BAND", "0.04",
            "class photos: faces this close under PHOTO_TOLERANCE go to review, unmarked", float),
    Setting("PHOTO_MARGIN", "0.1",
            "class photos: how much nearer a face must be to its match than to anyone else", float),
    Setting("CHECKIN_GRACE_MINUTES", "10", "minutes before a session's start when selfie check-in opens", int),
    Setting("LATE_AFTER_MINUTES", "10",
            "a selfie, presence-code or kiosk check-in more than this many minutes after the start is present "
            "and late (a tardy)", int),
    Setting("MAX_UPLOAD_MB", "10", "largest request body accepted, in MB", _megabytes, key="MAX_CONTENT_LENGTH"),
    Setting("MAX_IMAGE_PIXELS", "50000000",
            "largest decoded image accepted, in pixels (decompression-bomb guard)", int),
    Setting("MAX_SELFIE_PIXELS", "25000000",
            "largest selfie or enrollment photo accepted, in pixels (bounds unauthenticated face work)", int),
    Setting("TIMEZONE", "UTC", "IANA time zone of the school's wall-clock class times", _time_zone),
    Setting("CORS_ORIGINS", "*", "comma-separated origins allowed to call the API from a browser", _list),
    Setting("PASSWORD_HASH", "scrypt:32768:8:1",
            "how passwords are hashed (Werkzeug method); lower it only in tests", str),
    Setting("ERROR_STATUS", "http",
            "`http`: refusals answer their real 4xx status; `200`: they answer 200 with the same body, as the "
            "original backend did (see Serving the original att-sejal web client)", _error_status),
    Setting("LOW_ATTENDANCE_THRESHOLD", "75",
            "attendance rate in % under which get_attendance_report flags a student", _percent),
    Setting("RATELIMIT_STORAGE_URI", "memory://",
            "where rate limits are counted (Flask-Limiter); redis://host:6379/1 to share them between workers and "
            "hosts (a database apart from REDIS_URL's)", str),
    Setting("LOGIN_ACCOUNT_LIMIT", "10 per 15 minutes",
            "login attempts per account, counted until one succeeds", _rate_limit),
    Setting("LOGIN_ADDRESS_LIMIT", "200 per 15 minutes",
            "failed logins per client address (a ceiling for a school's shared address)", _rate_limit),
    Setting("FACE_MISMATCH_LIMIT", "5 per 10 minutes",
            "selfies that do not match, per student, before check-in is refused for a while", _rate_limit),
    Setting("REGISTRATION_LIMIT", "60 per 10 minutes",
            "registrations per client address (a computer room enrolling together)", _rate_limit),
    Setting("KIOSK_FRAME_LIMIT", "180 per minute",
            "camera frames a door kiosk may send per session (kiosk_check_in); a line at the door needs a few a "
            "second", _rate_limit),
    Setting("CHECKIN_NETWORKS", "unset: self check-in from anywhere",
            "comma-separated CIDR ranges (the school's networks) a selfie or presence-code check-in must come from, "
            "unless its session allows remote check-in (`allow_remote=1`); the address follows TRUSTED_PROXIES",
            _networks, described=True),
    Setting("TRUSTED_PROXIES", "0", "how many proxies in front set X-Forwarded-For; 0: the header is ignored", int),
    Setting("TEACHER_SIGNUP", "approval",
            "`approval`: new teachers wait for an admin; `open`: anyone may; `closed`: only admins create "
            "teachers", _signup),
    Setting("ERASE_ATTENDANCE", "0",
            "1: erasing a student also deletes their attendance records (default: kept, pseudonymised)", _flag),
    Setting("FACE_RETENTION_DAYS", "0",
            "`privacy purge` erases the faces of students unseen this many days (0: keep)", int),
    Setting("STUDENT_EMAIL_DOMAINS", "*",
            "comma-separated email domains students may self-enroll with (`*`: any)", _domains),
    Setting("REDIS_URL", "unset: class-photo jobs run in the web process",
            "Redis for class-photo jobs (async=1), run by `flask --app app jobs worker` (docs/deployment.md)",
            _optional, described=True),
    Setting("CLOSE_SESSIONS_EVERY", "300",
            "seconds between two runs of each web process's closer, which marks the unmarked students of ended "
            "sessions absent (0: off; run `flask --app app sessions close-ended` from cron instead)", int),
    Setting("WEBHOOK_SEND_EVERY", "5",
            "seconds between two looks of each web process's webhook sender for due deliveries (0: off; run "
            "`flask --app app webhooks deliver` instead)", float),
    Setting("WEBHOOK_ALLOW_PRIVATE", "0",
            "1: webhooks may target loopback, private and link-local addresses (default: refused, against "
            "server-side request forgery)", _flag),
    Setting("SMTP_URL", "unset: no mail is sent",
            "the mail server for weekly low-attendance notices and invitation codes: smtp://user:password@host:port "
            "(add ?starttls=1 to upgrade it) or smtps://... (TLS from the start); sent from an outbox by each web "
            "process's mail sender or `flask --app app mail send` (docs/api.md)", _smtp_url, described=True),
    Setting("MAIL_FROM", "rollcall@localhost", "the From address of every mail Rollcall sends", str),
    Setting("MAIL_SEND_EVERY", "30",
            "seconds between two looks of each web process's mail sender for due mail (0: off; run "
            "`flask --app app mail send` from cron instead)", float),
    Setting("LOW_ATTENDANCE_MAIL_AT", "mon 08:00",
            "when in the week (school time) the weekly low-attendance notices are queued, if SMTP_URL is set; a "
            "sender that was down then queues them when it is back, within the same week", _weekly_moment),
    Setting("VERIFY_INVITED_EMAILS", "0",
            "1: a new student joins the rosters that invited their address only once it is proven (a mailed code, "
            "or the inviting teacher or an administrator confirming); off by default because the original web "
            "client has no screen for it (docs/api.md)", _flag),
    Setting("PHOTO_JOB_TTL", "3600",
            "seconds a class-photo job's answer is kept after it finished; its photos are deleted once it ran", int),
    Setting("PHOTO_JOBS_PER_TEACHER", "3",
            "class-photo jobs one teacher may have waiting or running; more answer 429 `queue_full`", _positive),
    Setting("PHOTO_JOBS_WAITING", "32",
            "class-photo jobs waiting or running, all teachers together (per process without REDIS_URL)", _positive),
    Setting("PHOTO_QUEUE_MB", "256",
            "MB of photos all waiting class-photo jobs may hold together; size Redis's maxmemory above it",
            _positive),
)
SETTINGS_BY_NAME = {setting.name: setting for setting in SETTINGS}
SECRET_SETTINGS = ("SECRET_KEY", "FACE_KEY")
# Settings whose value is a URL that may carry a password.
URL_SETTINGS = ("SQLALCHEMY_DATABASE_URI", "RATELIMIT_STORAGE_URI", "REDIS_URL", "SMTP_URL")


def shown(config_key, value):
    """A setting's value as it may be shown to a person (`config show`, admin_get_settings):
    secrets masked, a password inside a URL hidden."""
    if config_key in SECRET_SETTINGS:
        return "********"
    if config_key == "LOW_ATTENDANCE_MAIL_AT":
        day, hour, minute = weekly_moment_of(value)
        return f"{WEEKDAY_NAMES[day]} {hour:02d}:{minute:02d}"
    if config_key in URL_SETTINGS and value:
        from sqlalchemy.engine import make_url
        return make_url(value).render_as_string(hide_password=True)
    return value


def effective_names():
    """The app configuration keys the settings become."""
    return [setting.config_key for setting in SETTINGS]


def _redis_database(url):
    """(host, port, database) a redis:// URL names; None for anything else (memory://)."""
    parsed = urlsplit(url or "")
    if parsed.scheme not in ("redis", "rediss"):
        return None
    database = parsed.path.strip("/") or dict(parse_qsl(parsed.query)).get("db", "0")
    return (parsed.hostname or "localhost", parsed.port or 6379, database)


def check_redis_roles(config):
    """Rate limits and class-photo jobs in the same Redis database would let a flood of photos
    stand in the way of every login (and a FLUSHDB for one would reset the other): refused."""
    limits, jobs = _redis_database(config.get("RATELIMIT_STORAGE_URI")), _redis_database(config.get("REDIS_URL"))
    if limits is not None and limits == jobs:
        raise SystemExit("RATELIMIT_STORAGE_URI and REDIS_URL name the same Redis database; give the rate "
                         "limits a database (or a Redis) of their own, e.g. redis://host:6379/1 for the limits "
                         "and redis://host:6379/0 for the jobs (docs/deployment.md).")


def load(overrides=None):
    """The app's configuration: ``overrides`` first, then the environment, then defaults.

    Settings given in ``overrides`` are not read at all, so a test that passes its own
    SECRET_KEY and database writes nothing under instance/.
    """
    overrides = dict(overrides or {})
    config = {s.config_key: s.value() for s in SETTINGS if s.config_key not in overrides}
    config.update(overrides)
    # A base64 photo arrives as a form field (the web client's `image`): Werkzeug's own 500 kB
    # limit on one field would refuse a large photo long before MAX_UPLOAD_MB does.
    config.setdefault("MAX_FORM_MEMORY_SIZE", config["MAX_CONTENT_LENGTH"])
    # where `privacy rotate-key` keeps the new key: the file, unless the key is given from outside
    generated = "FACE_KEY" not in overrides and not os.environ.get("FACE_KEY")
    config.setdefault("FACE_KEY_FILE", str(INSTANCE_DIR / "face_key") if generated else None)
    config["SQLALCHEMY_DATABASE_URI"] = database_driver_url(config["SQLALCHEMY_DATABASE_URI"])
    check_redis_roles(config)
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
    late_after_minutes: int = 10
    checkin_networks: tuple = ()  # ip_network objects; empty: anywhere
    verify_invited_emails: bool = False
    mail_on: bool = False  # SMTP_URL is set
    # a sealing.KeyRing (or one key, as bytes): never printed in a traceback or log
    face_key: Any = field(default=b"", repr=False)

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
                   late_after_minutes=int(config["LATE_AFTER_MINUTES"]),
                   checkin_networks=_networks_of(config["CHECKIN_NETWORKS"]),
                   verify_invited_emails=_flag_of(config["VERIFY_INVITED_EMAILS"]),
                   mail_on=bool(config["SMTP_URL"]),
                   face_key=_face_ring(config))


def _face_ring(config):
    """FACE_KEY's ring: from instance/face_key when the key was generated there (followed as
    `privacy rotate-key` rewrites it), else from the setting's text."""
    path = config.get("FACE_KEY_FILE")
    if path and os.path.exists(path):
        return KeyRing(path=path)
    return KeyRing(parse_ring(config["FACE_KEY"]))


def _domains_of(value):
    """Overrides may give the domains as a string, as the environment does."""
    return _domains(value) if isinstance(value, str) else tuple(value)


def _networks_of(value):
    """ip_network objects; overrides may give the ranges as a string, as the environment does, or a list."""
    ranges = _networks(value) if value is None or isinstance(value, str) else value
    return tuple(ipaddress.ip_network(item, strict=False) for item in ranges)


def _flag_of(value):
    """Overrides may give a flag as text, as the environment does, or as a bool."""
    return _flag(value) if isinstance(value, str) else bool(value)


def weekly_moment_of(value):
    """LOW_ATTENDANCE_MAIL_AT as (weekday, hour, minute); overrides may give it as text."""
    return _weekly_moment(value) if isinstance(value, str) else tuple(value)
