"""The one field reader: a request's fields from a multipart, urlencoded or JSON body,
under the contract's aliases, checked and converted."""
import base64
import binascii
import re
from datetime import datetime

from flask import request
from werkzeug.datastructures import FileStorage

from routes.declarations import KINDS
from services.emails import normalize as normalize_address
from services.errors import BadInput
from services.names import has_control_characters
from services.sessions import Slot

# the fields that hold a person's or a class's name (canonical names)
NAME_FIELDS = ("name", "teacher_name", "class_name")
# JSON bodies are flat objects (a roster list at most); deeper nesting is refused before it
# can exhaust the parser's recursion.
MAX_JSON_DEPTH = 16
# Class dates a school can mean; outside them datetime arithmetic overflows (year 1 minus a
# grace period) and the value is a typo anyway.
MIN_YEAR, MAX_YEAR = 2000, 2100
EMAIL = re.compile(r"^[^@\s\x00-\x1f]+@[^@\s\x00-\x1f]+\.[^@\s\x00-\x1f]+$")
DATA_URL_PREFIX = re.compile(r"^data:[\w/+.-]*;base64,", re.IGNORECASE)


class Fields:
    """The request's fields, from a multipart, urlencoded or JSON body.

    ``declared`` (name -> routes.declarations.Field) is what the endpoint declared: a field's
    limits, whether it is required and its aliases come from there, and reading a field the
    endpoint did not declare (or as another kind) raises LookupError, a programming error
    that answers 500. A view may still require an optional field (``required=True``) when its
    other fields make it necessary (a teacher's export names its class; a student's need not)."""

    def __init__(self, declared):
        self.declared = declared
        self.files = request.files
        json_body = None
        if request.is_json:
            json_body = _json_body()
            if request.get_data() and not isinstance(json_body, dict):
                raise BadInput("The body is not a JSON object.", code="bad_json")
        self.values = {**request.form.to_dict(), **(json_body or {})}

    def _spec(self, name, *kinds):
        spec = self.declared.get(name)
        if spec is None or spec.kind not in kinds:
            raise LookupError(f"{request.path} reads {'/'.join(kinds)} field {name!r} it did not declare as one")
        return spec

    def _raw(self, spec):
        for alias in spec.names:
            if self.values.get(alias) not in (None, ""):
                return self.values[alias]
        return None

    def given(self, name):
        """Whether the declared field ``name`` arrived with a value (blank counts as absent)."""
        value = self._raw(self._spec(name, *KINDS))
        return value is not None and not (isinstance(value, str) and not value.strip())

    def text(self, name, required=None, kind="text", max_length=None):
        spec = self._spec(name, kind)
        if required is None:
            required = spec.required
        max_length = max_length or spec.max_length
        value = self._raw(spec)
        if value is None:
            if required:
                raise BadInput(f"The field {name} is required.", code="missing_field")
            return None
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise BadInput(f"The field {name} must be a string.", code="bad_field")
        value = str(value).strip()
        _check_scalar_values(name, value)
        if "\x00" in value:  # PostgreSQL refuses NUL in text; no real field holds one
            raise BadInput(f"The field {name} contains a NUL character.", code="bad_field")
        if name in NAME_FIELDS and has_control_characters(value):
            raise BadInput(f"The field {name} contains a control character or a line break.", code="bad_field")
        if not value and required:
            raise BadInput(f"The field {name} is required.", code="missing_field")
        if len(value) > max_length:
            raise BadInput(f"The field {name} is longer than {max_length} characters.", code="bad_field")
        return value

    def email(self, name, required=None):
        # Normalised first, so the checks apply to what is stored: lowercasing can lengthen
        # a string ("\u0130" becomes two characters).
        longest = self._spec(name, "email").max_length
        value = self.text(name, required, kind="email", max_length=4 * longest)
        if value is None:
            return None
        value = normalize_email(value)
        if len(value) > longest:
            raise BadInput(f"The field {name} is longer than {longest} characters.", code="bad_field")
        if not EMAIL.match(value):
            raise BadInput(f"The field {name} is not an email address.", code="bad_field")
        return value

    def _items(self, name, kind):
        """(spec, the list's items): a comma-separated string or a JSON list; None when absent
        or blank, as a form sends a field left empty."""
        spec = self._spec(name, kind)
        value = self.values.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            return spec, None
        return spec, value if isinstance(value, list) else str(value).split(",")

    def email_list(self, name):
        """A roster, deduplicated in order; None when absent or blank."""
        spec, items = self._items(name, "emails")
        if items is None:
            return None
        longest = spec.max_length
        emails = []
        for item in items:
            if not isinstance(item, str):
                raise BadInput(f"The field {name} must list email addresses.", code="bad_field")
            _check_scalar_values(name, item)
            item = normalize_email(item.strip()[:4 * longest])
            if item and item not in emails:
                if len(item) > longest or not EMAIL.match(item):
                    raise BadInput(f"{item[:60]!r} in {name} is not an email address.", code="bad_field")
                emails.append(item)
        if len(emails) > spec.max_items:
            raise BadInput(f"The field {name} lists more than {spec.max_items} students.", code="bad_field")
        return emails

    def date_list(self, name):
        """Dates as YYYY-MM-DD (or YYYY/MM/DD), in order; [] when absent or blank."""
        spec, items = self._items(name, "dates")
        if items is None:
            return []
        if len(items) > spec.max_items:
            raise BadInput(f"The field {name} lists more than {spec.max_items} dates.", code="bad_field")
        dates = []
        for item in items:
            text = str(item).strip().replace("/", "-")
            if not text:
                continue
            try:
                dates.append(datetime.strptime(text, "%Y-%m-%d").date())
            except ValueError:
                raise BadInput(f"{text[:20]!r} in {name} is not a date as YYYY-MM-DD.", code="bad_field") from None
        return dates

    def date(self, name, required=None):
        value = self.text(name, required, kind="date").replace("/", "-")
        try:
            day = datetime.strptime(value, "%Y-%m-%d").date()  # 2026-03-02, also 2026-3-2
        except ValueError:
            raise BadInput(f"The field {name} must be a date as YYYY-MM-DD.", code="bad_field") from None
        if not MIN_YEAR <= day.year <= MAX_YEAR:
            raise BadInput(f"The field {name} must be a date between the years {MIN_YEAR} and {MAX_YEAR}.",
                           code="bad_field")
        return day

    def optional_date(self, name):
        """A date when the field is given, else None."""
        return self.date(name) if self.given(name) else None

    def time(self, name, required=None):
        value = self.text(name, required, kind="time")
        for pattern in ("%H:%M", "%H:%M:%S"):
            try:
                return datetime.strptime(value, pattern).time()
            except ValueError:
                pass
        raise BadInput(f"The field {name} must be a time as HH:MM.", code="bad_field")

    def choice(self, name, *, required=None):
        options = self._spec(name, "choice").options
        value = self.text(name, required, kind="choice")
        if value is not None and value.lower() not in options:
            raise BadInput(f"The field {name} must be one of: {', '.join(options)}.", code="bad_field")
        return value.lower() if value else value

    def flag(self, name):
        value = self.values.get(name)
        if isinstance(value, bool):  # a JSON true or false
            self._spec(name, "flag")
            return value
        return (self.text(name, False, kind="flag") or "0").lower() in ("1", "true", "yes", "on")

    def integer(self, name, default=None):
        spec = self._spec(name, "integer")
        minimum = 0 if spec.minimum is None else spec.minimum
        maximum = spec.maximum
        value = self.text(name, required=False, kind="integer")
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
        return self.integer("limit"), self.integer("offset", 0)

    def file_bytes(self, name):
        """An uploaded file as bytes: a file part, or its text as a field; None when absent or blank."""
        self._spec(name, "file")
        upload = self.files.get(name)
        if isinstance(upload, FileStorage):
            data = upload.read()
            return data if data.strip() else None
        value = self.values.get(name)
        if isinstance(value, str) and value.strip():
            return value.encode("utf-8")
        if value not in (None, ""):
            raise BadInput(f"The field {name} must be a CSV file.", code="bad_field")
        return None

    def images(self, name="image_file"):
        """Every uploaded image as bytes: file parts, or base64 strings (data URLs too)."""
        spec = self._spec(name, "image")
        found = []
        for alias in spec.names:
            found += [f.read() for f in self.files.getlist(alias) if isinstance(f, FileStorage)]
        if not found:
            value = self._raw(spec)
            strings = value if isinstance(value, list) else [value] if value is not None else []
            found = [_from_base64(s) for s in strings]
        found = [data for data in found if data]
        if not found:
            raise BadInput("Attach a photo as the image_file part or as a base64 image field.",
                           code="missing_field")
        return found

    def image(self):
        return self.images()[0]

    def slot(self):
        """The session a call names: class_name, class_date, start_time, end_time (all four
        required here, even where the endpoint lets a session go unnamed)."""
        return Slot(self.text("class_name", True), self.date("class_date", True),
                    self.time("start_time", True), self.time("end_time", True))


def normalize_email(value):
    """An email as it is stored and compared (services/emails.py)."""
    return normalize_address(value)


def _check_scalar_values(name, value):
    """Refuses text that is not a sequence of Unicode scalar values (a lone surrogate such as
    JSON's "\\ud800"): it cannot be encoded to store, hash or compare."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise BadInput(f"The field {name} is not valid Unicode text.", code="bad_field") from None


def _json_body():
    """The parsed JSON body, or None when it is not JSON; too deep a nesting is refused."""
    try:
        body = request.get_json(silent=True)
    except RecursionError:
        body = None
        too_deep = True
    else:
        too_deep = _depth_exceeds(body, MAX_JSON_DEPTH)
    if too_deep:
        raise BadInput(f"The JSON body is nested more than {MAX_JSON_DEPTH} levels deep.", code="bad_json")
    return body


def _depth_exceeds(value, limit):
    """Whether lists and objects in ``value`` nest deeper than ``limit`` (without recursion)."""
    level = [value]
    for _ in range(limit + 1):
        level = [child for item in level if isinstance(item, (list, dict))
                 for child in (item.values() if isinstance(item, dict) else item)]
        if not level:
            return False
    return True


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
