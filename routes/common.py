"""What every endpoint shares: reading fields, authenticating, answering, reporting errors."""
import base64
import binascii
import functools
import re
from datetime import datetime

from flask import current_app, jsonify, request
from werkzeug.datastructures import FileStorage

from models import TEACHER, db
from services import auth, clock
from services.errors import BadInput, Forbidden

# canonical field -> names it may arrive under, documented name first
ALIASES = {
    "image_file": ("image_file", "image"),
    "teacher_email_id": ("teacher_email_id", "email_id"),
    "student_email_id": ("student_email_id", "email_id"),
    "teacher_name": ("teacher_name", "name"),
    "review": ("review", "msg"),
}
MAX_TEXT = 10_000
EMAIL = re.compile(r"^[^@\s\x00-\x1f]+@[^@\s\x00-\x1f]+\.[^@\s\x00-\x1f]+$")
DATA_URL_PREFIX = re.compile(r"^data:[\w/+.-]*;base64,", re.IGNORECASE)


class Fields:
    """The request's fields, from a multipart, urlencoded or JSON body."""

    def __init__(self):
        self.files = request.files
        json_body = None
        if request.is_json:
            json_body = request.get_json(silent=True)
            if request.get_data() and not isinstance(json_body, dict):
                raise BadInput("The body is not a JSON object.", code="bad_json")
        self.values = {**request.form.to_dict(), **(json_body or {})}

    def _raw(self, name, aliases=True):
        for alias in ALIASES.get(name, (name,)) if aliases else (name,):
            if self.values.get(alias) not in (None, ""):
                return self.values[alias]
        return None

    def text(self, name, required=True, max_length=MAX_TEXT, aliases=True):
        value = self._raw(name, aliases)
        if value is None:
            if required:
                raise BadInput(f"The field {name} is required.", code="missing_field")
            return None
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise BadInput(f"The field {name} must be a string.", code="bad_field")
        value = str(value).strip()
        if "\x00" in value:  # PostgreSQL refuses NUL in text; no real field holds one
            raise BadInput(f"The field {name} contains a NUL character.", code="bad_field")
        if not value and required:
            raise BadInput(f"The field {name} is required.", code="missing_field")
        if len(value) > max_length:
            raise BadInput(f"The field {name} is longer than {max_length} characters.", code="bad_field")
        return value

    def email(self, name, required=True, aliases=True):
        value = self.text(name, required, max_length=254, aliases=aliases)
        if value is not None and not EMAIL.match(value):
            raise BadInput(f"The field {name} is not an email address.", code="bad_field")
        return value.lower() if value else value

    def email_list(self, name):
        """A comma-separated (or JSON list) roster, deduplicated in order; None when absent or
        blank, as a form sends a field left empty."""
        value = self.values.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        items = value if isinstance(value, list) else str(value).split(",")
        emails = []
        for item in items:
            if not isinstance(item, str):
                raise BadInput(f"The field {name} must list email addresses.", code="bad_field")
            item = item.strip().lower()
            if item and item not in emails:
                if len(item) > 254 or not EMAIL.match(item):
                    raise BadInput(f"{item[:60]!r} in {name} is not an email address.", code="bad_field")
                emails.append(item)
        if len(emails) > 1000:
            raise BadInput(f"The field {name} lists more than 1000 students.", code="bad_field")
        return emails

    def date(self, name):
        value = self.text(name, max_length=10).replace("/", "-")
        try:
            return datetime.strptime(value, "%Y-%m-%d").date()  # 2026-03-02, also 2026-3-2
        except ValueError:
            raise BadInput(f"The field {name} must be a date as YYYY-MM-DD.", code="bad_field") from None

    def time(self, name):
        value = self.text(name, max_length=8)
        for pattern in ("%H:%M", "%H:%M:%S"):
            try:
                return datetime.strptime(value, pattern).time()
            except ValueError:
                pass
        raise BadInput(f"The field {name} must be a time as HH:MM.", code="bad_field")

    def choice(self, name, options, required=True):
        value = self.text(name, required, max_length=40)
        if value is not None and value.lower() not in options:
            raise BadInput(f"The field {name} must be one of: {', '.join(options)}.", code="bad_field")
        return value.lower() if value else value

    def flag(self, name):
        return (self.text(name, required=False, max_length=5) or "0").lower() in ("1", "true", "yes", "on")

    def integer(self, name, default=None, minimum=0, maximum=None):
        value = self.text(name, required=False, max_length=12)
        if value is None:
            return default
        try:
            number = int(value)
        except ValueError:
            raise BadInput(f"The field {name} must be a whole number.", code="bad_field") from None
        if number < minimum or (maximum is not None and number > maximum):
            raise BadInput(f"The field {name} must be between {minimum} and {maximum}.", code="bad_field")
        return number

    def page(self):
        """Optional limit/offset; without them a listing returns everything, as the contract has it."""
        return self.integer("limit", None, minimum=1, maximum=10_000), self.integer("offset", 0)

    def images(self, name="image_file"):
        """Every uploaded image as bytes: file parts, or base64 strings (data URLs too)."""
        found = []
        for alias in ALIASES[name]:
            found += [f.read() for f in self.files.getlist(alias) if isinstance(f, FileStorage)]
        if not found:
            value = self._raw(name)
            strings = value if isinstance(value, list) else [value] if value is not None else []
            found = [_from_base64(s) for s in strings]
        found = [data for data in found if data]
        if not found:
            raise BadInput("Attach a photo as the image_file part or as a base64 image field.",
                           code="missing_field")
        return found

    def image(self):
        return self.images()[0]


def _from_base64(value):
    if not isinstance(value, str):
        raise BadInput("The image field must be a base64 string.", code="bad_field")
    # Form encoding turns '+' into ' '; newlines are common in wrapped base64.
    text = DATA_URL_PREFIX.sub("", value.strip()).replace(" ", "+")
    text = re.sub(r"\s", "", text)
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise BadInput("The image field is not valid base64.", code="bad_base64") from None


def bearer_token(fields):
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip()
    return fields.text("token", required=False, max_length=200)


def authenticate(fields, role, email_field):
    """The token's user, who must have ``role`` (None: any) and own the email the call names."""
    user = auth.user_for_token(bearer_token(fields))
    if role is not None and user.role != role:
        who = "teachers" if role == TEACHER else "students"
        raise Forbidden(f"Only {who} can do this.", code="wrong_role")
    if fields.email(email_field) != user.email:
        raise Forbidden("This token belongs to another account.", code="not_yours")
    return user


def endpoint(blueprint, *paths, role=None, email_field=None, methods=("POST",), authenticated=True):
    """Registers a view under /api/v1 that gets the parsed fields (and the caller) and
    returns plain data; the request commits once, after the view succeeded."""
    if authenticated and email_field is None:
        email_field = {TEACHER: "teacher_email_id", None: "email_id"}.get(role, "student_email_id")

    def register(view):
        @functools.wraps(view)
        def handle():
            fields = Fields()
            if authenticated:
                result = view(fields, authenticate(fields, role, email_field))
            else:
                result = view(fields)
            db.session.commit()
            return jsonify(result)

        for path in paths:
            blueprint.add_url_rule(path, endpoint=f"{view.__name__}:{path}", view_func=handle, methods=methods)
        return view

    return register


def settings():
    return current_app.config


def local_iso(utc_value):
    return clock.to_local_iso(utc_value, settings()["TIMEZONE"])


@functools.lru_cache(maxsize=4096)
def _hhmm(value):
    # A listing repeats each session's times once per student; strftime is the slow part.
    return value.strftime("%H:%M")


def _record_json(row, now_local, iso):
    """The contract's attendance record (plus status, method, distance)."""
    status = row.status or ("absent" if row.ends_at < now_local else "pending")
    return {
        "id": row.id,
        "class_name": row.class_name,
        "student_email_id": row.student_email,
        "teacher_email_id": row.teacher_email,
        "attendance_marked": 1 if row.status == "present" else 0,
        "class_date": row.class_date.isoformat(),
        "start_time": _hhmm(row.starts_at),
        "end_time": _hhmm(row.ends_at),
        "marked_time": iso(row.marked_time),
        "create_datetime": iso(row.created_at),
        "status": status,
        "method": row.method,
        "distance": None if row.distance is None else round(row.distance, 3),
    }


def records_json(rows):
    # A teacher's full listing is thousands of records: read the settings once, not per row.
    tz_name = settings()["TIMEZONE"]
    now_local = clock.local_naive(tz_name)
    iso = clock.local_iso_formatter(tz_name)
    return [_record_json(r, now_local, iso) for r in rows]
