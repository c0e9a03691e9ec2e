"""Class sessions, their rosters, and selfie check-in."""
from models import STUDENT, TEACHER
import routes.answers as a
import routes.declarations as d
from routes.answers import records_json, roster_change_json, roster_event_json, session_json
from routes.common import api_blueprint, endpoint, rules, session_or_student
from routes.limits import client_address, throttles
from routes.roster_input import roster_emails
from services import invitations, presence, reports, rosters, sessions, webhooks
from services.errors import BadPresenceCode, FaceProblem

bp = api_blueprint("sessions")


@endpoint(bp, "/get_create_class", "/create_class", role=TEACHER,
          takes=(*d.SLOT, d.STUDENT_EMAIL_IDS, d.ROSTER_FILE, d.REQUIRE_CODE, d.ALLOW_REMOTE),
          returns=a.CLASS_CREATED, errors=(409,), summary="Create a class session and its roster's records")
def create_class(fields, teacher):
    session, unknown, invited = invitations.create_session(teacher, fields.slot(), roster_emails(fields))
    if fields.flag("require_code"):
        presence.require_code([session])
    session.allow_remote = fields.flag("allow_remote")
    records = records_json(reports.session_records(session))
    message = f"Class created with {len(records) - len(invited)} students."
    if invited:
        message += f" {_some(invited)} have no student account yet; they join this class when they enroll."
    return {"SUCCESS": message, "session": session_json(session, teacher), "records": records,
            "unknown_student_email_ids": unknown, "invited_student_email_ids": invited}


@endpoint(bp, "/get_class_attendance", role=TEACHER, takes=d.SLOT,
          returns=a.RECORDS, errors=(404,), summary="One session's roster with each student's record")
def get_class_attendance(fields, teacher):
    session = sessions.teacher_session(teacher, fields.slot())
    return records_json(reports.session_records(session))


@endpoint(bp, "/mark_attendance", role=STUDENT, takes=(*d.SLOT, d.IMAGE_FILE, d.PRESENCE_CODE),
          returns=a.RECORD_CHANGED,
          errors=(404, 409, 429),
          summary="Selfie check-in: on the roster, from the school's network, session open now, face matches")
def mark_attendance(fields, student):
    # Photo after photo, or code after code, to check a friend in: each attempt takes a turn
    # before any code or face is compared, and gives it back unless it was a mismatch.
    mismatches = throttles().face_mismatch
    mismatches.take(student.id)
    mismatched = False
    try:
        record = sessions.check_in(student, fields.slot(), fields.image(), rules(),
                                   presence_code=fields.text("presence_code"), client_address=client_address())
    except (FaceProblem, BadPresenceCode) as problem:
        mismatched = problem.code in ("face_mismatch", "bad_presence_code")
        raise
    finally:
        if not mismatched:
            mismatches.refund(student.id)
    marked = records_json([record])[0]
    webhooks.emit("attendance.marked", marked)
    return {"SUCCESS": "Attendance marked.", "record": marked}


SCOPE = d.Field("scope", "choice", "session: this session only; upcoming: this one and every later session "
                "of the same class_name.", "session", required=False, options=rosters.SCOPES,
                max_length=d.MAX_CHOICE)


@endpoint(bp, "/update_roster", role=TEACHER,
          takes=(*d.SLOT, d.ADD_STUDENTS, d.ROSTER_FILE.but(description="Students to add as a CSV file (columns "
                                                              "email and an optional name), instead of "
                                                              "add_student_email_ids."),
                 d.REMOVE_STUDENTS, SCOPE, d.FORCE),
          returns=a.ROSTER_UPDATED, errors=(404, 409),
          summary="Add students to a session's roster or remove them, in one session or all upcoming ones")
def update_roster(fields, teacher):
    add, remove = roster_emails(fields, "add_student_email_ids"), fields.email_list("remove_student_email_ids")
    scope = fields.choice("scope") or "session"
    result = rosters.update(teacher, fields.slot(), add, remove, scope, fields.flag("force"))
    changes = result.changes
    added = sum(len(c.added) for c in changes)
    removed = sum(len(c.removed) + len(c.uninvited) for c in changes)
    message = f"Roster updated in {len(changes)} session(s): {added} added, {removed} removed."
    if result.unknown:
        message += f" {_some(result.unknown)} have no student account yet; they join when they enroll."
    if result.not_on_roster:
        message += f" Not on the roster: {_some(result.not_on_roster)}."
    return {"SUCCESS": message, "session": session_json(result.session, teacher),
            "records": records_json(reports.session_records(result.session)),
            "sessions": [roster_change_json(c, teacher) for c in changes],
            "unknown_student_email_ids": result.unknown, "invited_student_email_ids": result.invited,
            "not_on_roster": result.not_on_roster}


def _some(emails, shown=5):
    return ", ".join(emails[:shown]) + (f" and {len(emails) - shown} more" if len(emails) > shown else "")


@endpoint(bp, "/get_roster_history", role=TEACHER,
          takes=(*d.OPTIONAL_SLOT, d.STUDENT_EMAIL_ID.but(aliases=(), required=False), *d.PAGE),
          returns=a.ROSTER_HISTORY, errors=(404,), summary="Who was added to or removed from rosters, when, by whom")
def get_roster_history(fields, teacher):
    session_slot, student_email = session_or_student(fields)
    return [roster_event_json(e) for e in rosters.history(teacher, session_slot, student_email, fields.page())]
