"""The fields a roster and a term arrive in: emails or a CSV file (roster_file), and
require_code. Shared by create_class, create_schedule and any endpoint that takes a roster."""
from werkzeug.datastructures import FileStorage

from services import roster_files
from services.errors import BadInput

FILE_FIELD = "roster_file"


def roster_file_bytes(fields):
    """The uploaded roster CSV as bytes (a file part, or the CSV text as a field), or None."""
    upload = fields.files.get(FILE_FIELD)
    if isinstance(upload, FileStorage):
        data = upload.read()
        return data if data.strip() else None
    value = fields.values.get(FILE_FIELD)
    if isinstance(value, str) and value.strip():
        return value.encode("utf-8")
    if value not in (None, ""):
        raise BadInput(f"The field {FILE_FIELD} must be a CSV file.", code="bad_field")
    return None


def roster_emails(fields, name="student_email_ids"):
    """The roster's emails from ``name`` (comma-separated) or from the roster_file CSV, in order;
    None when neither is sent. A bad CSV line refuses the whole request (bad_roster_file)."""
    data = roster_file_bytes(fields)
    listed = fields.email_list(name)
    if data is None:
        return listed
    if listed is not None:
        raise BadInput(f"Send the roster either as {name} or as {FILE_FIELD}, not both.", code="two_rosters")
    return roster_files.emails(roster_files.parse_csv(data))
