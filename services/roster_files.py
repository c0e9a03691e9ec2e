"""Rosters from spreadsheets: the CSV a school's office exports, checked line by line, and
adding its students to a class's coming sessions (the `rosters import` command)."""
import csv
import io
import re
from dataclasses import dataclass

from sqlalchemy import select

from models import STUDENT, TEACHER, AttendanceRecord, ClassSession, User, db
from services import clock, mail
from services.emails import normalize as normalize_address
from services.errors import BadInput, NotFound

# The same address check as the request fields (routes/fields.py), which services cannot import.
EMAIL = re.compile(r"^[^@\s\x00-\x1f]+@[^@\s\x00-\x1f]+\.[^@\s\x00-\x1f]+$")
MAX_STUDENTS = 1000
MAX_BYTES = 1024 * 1024
# A roster of MAX_STUDENTS with a header and a blank line between each student fits; a file
# of many more lines is refused before the CSV reader walks through them one by one.
MAX_LINES = 2 * MAX_STUDENTS + 10
SHOWN_PROBLEMS = 50


@dataclass(frozen=True)
class RosterLine:
    line: int
    email: str
    name: str | None
    guardian_email: str | None = None


class BadRosterFile(BadInput):
    """The file as a whole was refused; ``problems`` lists (line number, what is wrong)."""
    code = "bad_roster_file"

    def __init__(self, problems):
        self.problems = problems
        shown = "; ".join(f"line {n}: {what}" if n else what for n, what in problems[:SHOWN_PROBLEMS])
        more = f"; and {len(problems) - SHOWN_PROBLEMS} more" if len(problems) > SHOWN_PROBLEMS else ""
        super().__init__(f"The roster file was not imported: {shown}{more}.")


def _text(data):
    if len(data) > MAX_BYTES:
        raise BadRosterFile([(None, f"it is larger than {MAX_BYTES // 1024} KB")])
    line_breaks = data.count(b"\n") + data.count(b"\r") - data.count(b"\r\n")  # counted in C, at once
    if line_breaks > MAX_LINES:
        raise BadRosterFile([(None, f"it has {line_breaks} lines, more than {MAX_LINES}")])
    try:
        return data.decode("utf-8-sig")  # with or without the BOM spreadsheets write
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise BadRosterFile([(line, "this is not UTF-8 text; save the sheet as \"CSV UTF-8\"")]) from None


def _separator(text):
    first = next((line for line in text.splitlines() if line.strip()), "")
    return ";" if first.count(";") > first.count(",") else ","


def _is_email(cell):
    return bool(EMAIL.match(cell)) and len(cell) <= 254


GUARDIAN_LABELS = ("guardian", "parent")


def _header_columns(cells):
    """(email column, name column or None, guardian email column or None) of a header row; None
    when the row is not a header. A guardian's column (guardian_email, parent email) is never
    the student's."""
    if any(_is_email(c) for c in cells):
        return None
    labels = [re.sub(r"[\s_.-]", "", c.lower()) for c in cells]
    guardian_col = next((i for i, c in enumerate(labels) if any(g in c for g in GUARDIAN_LABELS)
                         and ("mail" in c or "courriel" in c)), None)
    email_col = next((i for i, c in enumerate(labels) if ("mail" in c or c == "courriel")
                      and not any(g in c for g in GUARDIAN_LABELS)), None)
    name_col = next((i for i, c in enumerate(labels) if c in ("name", "fullname", "studentname", "nom")), None)
    if name_col is None:
        name_col = next((i for i, c in enumerate(labels) if "name" in c and i != email_col
                         and not any(g in c for g in GUARDIAN_LABELS)), None)
    return email_col, name_col, guardian_col


def parse_csv(data):
    """The roster lines of a CSV file (bytes): columns email and an optional name, a header
    row or not, UTF-8 with or without BOM, separated by ``,`` or ``;``. Under a header, an
    optional guardian_email column names a guardian for the weekly low-attendance notice.

    Blank lines are skipped and repeated emails kept once. Raises BadRosterFile listing every
    bad line when any line is bad, so a file is imported whole or not at all.
    """
    text = _text(data)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_separator(text))
    email_col = name_col = guardian_col = None
    lines, problems, seen = [], [], set()
    try:
        rows = [(reader.line_num, [c.strip() for c in row]) for row in reader]
    except csv.Error as exc:
        raise BadRosterFile([(reader.line_num, f"this is not CSV ({exc})")]) from None
    for number, cells in rows:
        if not any(cells):
            continue
        if email_col is None:
            header = _header_columns(cells)
            if header is not None:
                email_col, name_col, guardian_col = header
                if email_col is None:
                    problems.append((number, "the first row is neither a header with an email column "
                                             "nor a student's email"))
                    email_col = -1  # reported once; every later line is checked against nothing
                continue
            email_col = next(i for i, c in enumerate(cells) if _is_email(c))
            name_col = next((i for i in range(len(cells)) if i != email_col and cells[i]), None)
        if email_col < 0:
            continue
        email = normalize_address(cells[email_col]).strip() if email_col < len(cells) else ""
        if not email:
            problems.append((number, "the email is missing"))
        elif not _is_email(email):
            problems.append((number, f"{email[:60]!r} is not an email address"))
        elif email not in seen:
            seen.add(email)
            name = cells[name_col] if name_col is not None and name_col < len(cells) else None
            guardian = (normalize_address(cells[guardian_col]).strip()
                        if guardian_col is not None and guardian_col < len(cells) else "")
            if guardian and not _is_email(guardian):
                problems.append((number, f"the guardian's {guardian[:60]!r} is not an email address"))
                continue
            lines.append(RosterLine(number, email, (name or None) and name[:200], guardian or None))
    if not lines and not problems:
        problems.append((None, "it lists no student"))
    if len(lines) > MAX_STUDENTS:
        problems.append((None, f"it lists {len(lines)} students, more than {MAX_STUDENTS}"))
    if problems:
        raise BadRosterFile(problems)
    return lines


def emails(lines):
    return [line.email for line in lines]


def guardians(lines):
    """(student email, guardian email) of the lines that name a guardian."""
    return [(line.email, line.guardian_email) for line in lines if line.guardian_email]


def add_to_coming_sessions(teacher, class_name, roster_emails, tz_name):
    """Adds the roster's students to every session of the class that has not ended, leaving
    records already there alone. Returns (sessions, records added, emails matching no student)."""
    now = clock.local_naive(tz_name)
    session_ids = db.session.scalars(select(ClassSession.id).where(
        ClassSession.teacher_id == teacher.id, ClassSession.class_name == class_name,
        ClassSession.ends_at >= now)).all()
    if not session_ids:
        raise NotFound(f"{teacher.email} has no coming session of {class_name!r}; create them first "
                       "(create_class or create_schedule).", code="no_such_class")
    students = dict(db.session.execute(
        select(User.email, User.id).where(User.role == STUDENT, ~User.claim_pending, User.email.in_(roster_emails))).all())
    present = set(db.session.execute(select(AttendanceRecord.session_id, AttendanceRecord.student_id)
                                     .where(AttendanceRecord.session_id.in_(session_ids))).all())
    created_at = clock.utc_naive()
    new = [AttendanceRecord(session_id=sid, student_id=uid, created_at=created_at)
           for sid in session_ids for uid in students.values() if (sid, uid) not in present]
    db.session.add_all(new)
    db.session.flush()
    return len(session_ids), len(new), [e for e in roster_emails if e not in students]


def import_file(data, teacher_email, class_name, tz_name):
    """The `rosters import` command: the CSV's students added to the class's coming sessions."""
    teacher = db.session.scalar(select(User).where(User.email == teacher_email.strip().lower(),
                                                   User.role == TEACHER))
    if teacher is None:
        raise NotFound(f"No teacher has the email {teacher_email}.", code="no_such_teacher")
    lines = parse_csv(data)
    mail.remember_guardians(guardians(lines))
    return add_to_coming_sessions(teacher, class_name, emails(lines), tz_name)
