"""The fields a roster and a term arrive in: emails or a CSV file (roster_file), and
require_code. Shared by create_class, create_schedule and any endpoint that takes a roster."""
from services import mail, roster_files
from services.errors import BadInput

FILE_FIELD = "roster_file"


def roster_emails(fields, name="student_email_ids"):
    """The roster's emails from ``name`` (comma-separated) or from the roster_file CSV, in order;
    None when neither is sent. A bad CSV line refuses the whole request (bad_roster_file). The
    file's guardian_email column, if any, is remembered for the low-attendance notices."""
    data = fields.file_bytes(FILE_FIELD)
    listed = fields.email_list(name)
    if data is None:
        return listed
    if listed is not None:
        raise BadInput(f"Send the roster either as {name} or as {FILE_FIELD}, not both.", code="two_rosters")
    lines = roster_files.parse_csv(data)
    mail.remember_guardians(roster_files.guardians(lines))  # in the request's transaction: refused, not kept
    return roster_files.emails(lines)
