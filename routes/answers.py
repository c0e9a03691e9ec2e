"""What the endpoints answer: each answer's schema (JSON Schema, OpenAPI 3.0) beside the
function that builds it, so a shape is written once and documented where it is made.

Route modules build their answers from here and never from each other. Dates and instants
are left to the JSON writer (routes/json_output.py), which formats them as ISO 8601.
"""
import functools
import json
import operator

from models import (DELIVERY_STATUSES, FACE_SOURCES, LEAVE_STATUSES, MAIL_KINDS, MAIL_STATUSES, METHODS, STATUSES,
                    STUDENT, USER_STATUSES, WEBHOOK_EVENTS)
from routes.common import rules
from routes.declarations import STUDENT_EMAIL
from services import accounts, categories, clock, kiosk, mail, presence, reports, webhooks

# -- schema building blocks -----------------------------------------------------------------


class Schema(dict):
    """A named answer schema; the document lists it under components/schemas."""

    def __init__(self, name, body):
        super().__init__(body)
        self.name = name


def obj(properties, required=None, extra=True):
    """An answer object. Extra properties are allowed: the contract lets answers gain fields
    (never lose them), so a field added later does not contradict the document."""
    required = list(properties) if required is None else list(required)
    return {"type": "object", "properties": properties, **({"required": required} if required else {}),
            "additionalProperties": extra}


def nullable(schema):
    return {**schema, "nullable": True}


def array(items):
    return {"type": "array", "items": items}


def one_of(*values):
    return {"type": "string", "enum": list(values)}


STRING = {"type": "string"}
INTEGER = {"type": "integer"}
COUNT = {"type": "integer", "minimum": 0}
NUMBER = {"type": "number"}
BOOLEAN = {"type": "boolean"}
DATE = {"type": "string", "format": "date", "example": "2026-03-02"}
HHMM = {"type": "string", "pattern": "^[0-2][0-9]:[0-5][0-9]$", "example": "09:00"}
DATETIME = {"type": "string", "format": "date-time", "example": "2026-03-02T09:03:11+00:00",
            "description": "ISO 8601 on the school's clock (TIMEZONE)"}
EMAIL = {"type": "string", "format": "email", "example": STUDENT_EMAIL}
ZERO_ONE = {"type": "integer", "enum": [0, 1]}
USER_TYPE = {"type": "integer", "enum": [0, 1, 2], "description": "1 teacher, 0 student, 2 admin"}
METHOD = one_of(*METHODS)
RECORD_STATUS = one_of(*STATUSES)

SUCCESS = Schema("Success", obj({"SUCCESS": {**STRING, "example": "Done."}}))
ERROR = Schema("Error", obj({"ERROR": {**STRING, "description": "One sentence a user can act on."},
                             "code": {**STRING, "description": "Stable snake_case code; see each status."}},
                            extra=False))
EMPTY = Schema("Empty", obj({}))


# -- instants and small parts ---------------------------------------------------------------


def local_instant(utc_value):
    """A stored instant on the school's clock, for an answer; the JSON writer formats it."""
    return clock.local_instants(rules().timezone)(utc_value)


@functools.lru_cache(maxsize=4096)
def _hhmm(value):
    # A listing repeats each session's times once per student; strftime is the slow part.
    return value.strftime("%H:%M")


def _distance(value):
    return None if value is None else round(value, 3)


SLOT_FIELDS = {"class_name": STRING, "class_date": DATE, "start_time": HHMM, "end_time": HHMM}


def slot_json(class_name, class_date, starts_at, ends_at):
    """The four fields that name a class session, as every answer shows them."""
    return {"class_name": class_name, "class_date": class_date.isoformat(),
            "start_time": _hhmm(starts_at), "end_time": _hhmm(ends_at)}


# -- accounts -------------------------------------------------------------------------------

PROFILE_FIELDS = {"email_id": EMAIL, "name": STRING, "user_type": USER_TYPE,
                  "faces_enrolled": COUNT, "create_datetime": DATETIME}
PROOF_PENDING = {"email_proof_pending": {
    **BOOLEAN, "description": "only when true: the student's address awaits proof (VERIFY_INVITED_EMAILS); until "
    "then no roster takes them in (request_email_code, submit_email_code)"}}
GUARDIAN = {"guardian_email": {
    **nullable(EMAIL), "description": "students only: the guardian's address that also gets the weekly "
    "low-attendance notice (set_guardian_email, or a roster file's guardian_email column), or null"}}
PROFILE = Schema("Profile", obj({**PROFILE_FIELDS, **PROOF_PENDING, **GUARDIAN}, required=PROFILE_FIELDS))
LOGIN = Schema("ProfileWithToken", obj({**PROFILE_FIELDS, "token": {**STRING, "description": "send it as "
                                        "`Authorization: Bearer <token>` (or the `token` field)"},
                                        "token_expires_at": DATETIME, **PROOF_PENDING, **GUARDIAN,
                                        "school_timezone": {**STRING, "description": "the school's TIMEZONE (IANA "
                                                            "name): the clock of every date and time in answers"}},
                                       required=(*PROFILE_FIELDS, "token", "token_expires_at")))
# TEACHER_SIGNUP=approval: a teacher account an administrator must approve gets no token yet
AWAITING_APPROVAL = Schema("AwaitingApproval", obj({"SUCCESS": STRING, **PROFILE_FIELDS}))
REGISTERED = {"anyOf": [LOGIN, AWAITING_APPROVAL]}
ADDED_FACE = Schema("FaceAdded", obj({"SUCCESS": STRING, **PROFILE_FIELDS}))
TEACHERS = {**array(obj({"email_id": EMAIL, "name": STRING})),
            "description": "a student's teachers: whose records these are"}


def teachers_json(student):
    return [{"email_id": t.email, "name": t.name} for t in accounts.teachers_of(student)]


def profile_json(user, token=None, expires_at=None):
    body = {"email_id": user.email, "name": user.name, "user_type": user.role,
            "faces_enrolled": accounts.face_count(user), "create_datetime": local_instant(user.created_at),
            "status": user.status}
    if user.role == STUDENT:  # whose records these are, so an unexpected one can be disputed
        body["teachers"] = teachers_json(user)
        body["guardian_email"] = mail.guardian_of(user.email)
        if user.claim_pending:  # VERIFY_INVITED_EMAILS: the rosters that invited them wait for proof
            body["email_proof_pending"] = True
    if token:
        # the console counts "today" and "now" on the school's clock, whatever the device's says
        body.update(token=token, token_expires_at=local_instant(expires_at), school_timezone=rules().timezone)
    return body


USER = Schema("Account", obj({
    "email_id": EMAIL, "name": STRING, "user_type": USER_TYPE, "status": one_of(*USER_STATUSES),
    "create_datetime": DATETIME, "last_seen": nullable(DATETIME),
    "faces_enrolled": {**COUNT, "description": "in admin_list_users only"}},
    required=("email_id", "name", "user_type", "status", "create_datetime", "last_seen")))
USER_CHANGED = Schema("AccountChanged", obj({"SUCCESS": STRING, "user": USER}))


def user_json(user, faces=None):
    """An account as an administrator (or its owner, in an export) sees it."""
    body = {"email_id": user.email, "name": user.name, "user_type": user.role, "status": user.status,
            "create_datetime": local_instant(user.created_at),
            "last_seen": local_instant(user.last_seen_at) if user.last_seen_at else None}
    if faces is not None:
        body["faces_enrolled"] = faces
    return body


FACES_ERASED = Schema("FacesErased", obj({"SUCCESS": STRING, "faces_enrolled": {**INTEGER, "enum": [0]}}))
ERASED = Schema("Erased", obj({
    "SUCCESS": STRING, "templates": {**COUNT, "description": "face templates deleted"},
    "records": {**COUNT, "description": "the account's attendance records"},
    "attendance": {**one_of("deleted", "pseudonymised"), "description": "what became of those records"},
    "sessions": {**COUNT, "description": "a teacher's sessions, kept"},
    "placeholder_email_id": {**STRING, "description": "admin_erase_user: the address the account now has"}},
    required=("SUCCESS", "templates", "records", "attendance")))

SETTING_VALUE = {"anyOf": [STRING, NUMBER, BOOLEAN, array(STRING)], "nullable": True,
                 "description": "as the running app reads it (secrets masked, a URL's password hidden)"}
SETTINGS = Schema("Settings", obj({"settings": array(obj({
    "name": {**STRING, "description": "the environment variable", "example": "TEACHER_SIGNUP"},
    "config_key": {**STRING, "description": "the app configuration key it becomes"},
    "value": SETTING_VALUE,
    "default": {**STRING, "description": "what runs when it is unset"},
    "meaning": STRING}))}))


def settings_json(app_config):
    """Every declared setting with its effective value, masked as `flask config show` masks it."""
    import config

    def plain(value):  # JSON's own types; anything else (a network, a path) as its text
        if isinstance(value, (tuple, list)):
            return [plain(item) for item in value]
        return value if value is None or isinstance(value, (str, int, float, bool)) else str(value)

    return {"settings": [{"name": s.name, "config_key": s.config_key,
                          "value": plain(config.shown(s.config_key, app_config.get(s.config_key))),
                          "default": s.default, "meaning": s.meaning} for s in config.SETTINGS]}


# -- attendance records ---------------------------------------------------------------------

# A teacher's listings also show the roster's invited emails (no student account yet): no
# id, status not_enrolled, never marked.
RECORD = Schema("AttendanceRecord", obj({
    "id": {**nullable(INTEGER), "description": "null for an invited email"}, "class_name": STRING,
    "student_email_id": EMAIL,
    "student_name": {**nullable(STRING), "description": "null for an invited email"},
    "teacher_email_id": EMAIL, "teacher_name": STRING,
    "attendance_marked": {**ZERO_ONE, "description": "1 when present"}, "class_date": DATE,
    "start_time": HHMM, "end_time": HHMM, "marked_time": nullable(DATETIME), "create_datetime": DATETIME,
    "status": one_of(*STATUSES, "pending", "not_enrolled"), "method": nullable(METHOD),
    "distance": nullable({**NUMBER, "description": "face distance of a selfie, photo or kiosk marking"}),
    "late": {**BOOLEAN, "description": "present, but checked in more than LATE_AFTER_MINUTES after the start "
                                       "(status stays present)"},
    "minutes_late": {**nullable(COUNT), "description": "whole minutes after the start, when a check-in was late"},
    "category": {**nullable(one_of(*categories.CATEGORIES)),
                 "description": "the Ed-Fi attendance event category; null while unmarked and not over, and for "
                                "an invited email"}}))
RECORDS = array(RECORD)
RECORD_CHANGED = Schema("RecordChanged", obj({"SUCCESS": STRING, "record": RECORD}))

# The columns of services.records.record_rows() that a record's JSON is made of: its
# session's, the teacher's, then the record's own and the student's email and name.
_RECORD_COLUMNS = ("class_name", "class_date", "starts_at", "ends_at", "teacher_email", "teacher_name",
                   "id", "status", "method", "distance", "marked_time", "created_at", "late", "minutes_late",
                   "student_email", "student_name")


def _session_part(class_name, class_date, starts_at, ends_at):
    """What a record's JSON takes from its session, made once per session in a long listing."""
    return class_name, class_date, _hhmm(starts_at), _hhmm(ends_at), ends_at


def _record_json(now_local, local, session, teacher_email, teacher_name,
                 record_id, status, method, distance, marked_time, created_at, late, minutes_late, student_email,
                 student_name):
    """The contract's attendance record (plus status, method, distance, late, category). Dates and
    instants are left to the JSON writer, which formats them (ISO 8601) for thousands of records at once."""
    class_name, class_date, start_time, end_time, ends_at = session
    return {
        "id": record_id,
        "class_name": class_name,
        "student_email_id": student_email,
        "teacher_email_id": teacher_email,
        "teacher_name": teacher_name,
        "attendance_marked": 1 if status == "present" else 0,
        "class_date": class_date,
        "start_time": start_time,
        "end_time": end_time,
        "marked_time": local(marked_time),
        "create_datetime": local(created_at),
        "status": status or ("absent" if ends_at < now_local else "pending"),
        "method": method,
        "distance": _distance(distance),
        "late": bool(late),
        "minutes_late": minutes_late,
        "category": categories.category(status, late, ends_at < now_local),
        "student_name": student_name,
    }


def _record_columns(row):
    """A function giving the _RECORD_COLUMNS of rows shaped like ``row``: by position for
    SQLAlchemy's rows, whose lookup by name took half of a teacher's full listing."""
    fields = getattr(row, "_fields", None)
    if fields is None:
        return operator.attrgetter(*_RECORD_COLUMNS)
    position = {name: i for i, name in enumerate(fields)}
    return operator.itemgetter(*(position[name] for name in _RECORD_COLUMNS))


def _listing_clock():
    """(now, instant converter) on the school's clock, read once per listing, not per record."""
    tz_name = rules().timezone
    return clock.local_naive(tz_name), clock.local_instants(tz_name)


def records_json(rows):
    """Records shaped like services.records.record_rows()."""
    if not rows:
        return []
    now_local, local = _listing_clock()
    columns = _record_columns(rows[0])
    return [_record_json(now_local, local, _session_part(*c[:4]), *c[4:]) for c in map(columns, rows)]


def records_by_id_json(record_ids):
    return records_json(reports.records_by_id(record_ids))


def teacher_records_json(teacher, sessions, rows):
    """A teacher's listing from services.reports.teacher_records: rows that name their session."""
    now_local, local = _listing_clock()
    parts = {session_id: _session_part(*columns) for session_id, *columns in sessions}
    email, name = teacher.email, teacher.name
    return [_record_json(now_local, local, parts[session_id], email, name, *record)
            for session_id, *record in rows]


COUNTS = Schema("Counts", obj({**{k: COUNT for k in ("total", "present", "absent", "pending", "excused")},
                                "late": {**COUNT, "description": "of the present ones, how many came late"}}))
COUNTS_BY_KEY = {"type": "object", "additionalProperties": COUNTS,
                 "description": "keyed by \"<first>|<second>\" as the path's description says"}


def counts_json(row):
    return {"total": row.total, "present": row.present, "absent": row.absent,
            "pending": row.pending, "excused": row.excused, "late": row.late}


TIME_RECORDS = array(obj({"email_id": EMAIL, "time": nullable(DATETIME)}))


def time_record_json(r):
    return {"email_id": r.email, "time": local_instant(r.marked_time)}


LATEST_RECORDS = array(obj({"class_name": STRING, "class_date": DATE, "marked": ZERO_ONE}))


def latest_record_json(r):
    return {"class_name": r.class_name, "class_date": r.class_date.isoformat(),
            "marked": 1 if r.status == "present" else 0}

# -- class sessions -------------------------------------------------------------------------

SESSION = Schema("ClassSession", obj({**SLOT_FIELDS, "teacher_email_id": EMAIL, "create_datetime": DATETIME,
                                      "allow_remote": {**BOOLEAN, "description": "self check-in accepted from "
                                                       "outside the school's networks"}},
                                     required=(*SLOT_FIELDS, "teacher_email_id", "create_datetime")))


def session_json(session, teacher):
    return {**slot_json(session.class_name, session.class_date, session.starts_at, session.ends_at),
            "teacher_email_id": teacher.email, "create_datetime": local_instant(session.created_at),
            "allow_remote": bool(session.allow_remote)}


SESSIONS_MOVED = Schema("SessionsTransferred", obj({"SUCCESS": STRING, "sessions": {
    **COUNT, "description": "how many sessions changed hands"}}))
ROSTER_RESULT = {"unknown_student_email_ids": {**array(EMAIL), "description": "no student account yet"},
                 "invited_student_email_ids": {**array(EMAIL), "description": "they join when they enroll"}}
CLASS_CREATED = Schema("ClassCreated", obj({"SUCCESS": STRING, "session": SESSION, "records": RECORDS,
                                            **ROSTER_RESULT},
                                           required=("SUCCESS", "session", "records", "unknown_student_email_ids")))
SCHEDULE_CREATED = Schema("ScheduleCreated", obj({
    "SUCCESS": STRING, "created": array(SESSION),
    "existing": {**array(SESSION), "description": "already there; left alone"}, **ROSTER_RESULT}))
ROSTER_CHANGE = Schema("RosterChange", obj({**SESSION["properties"], **{
    k: array(EMAIL) for k in ("added", "invited", "removed", "uninvited")}}))
ROSTER_UPDATED = Schema("RosterUpdated", obj({
    "SUCCESS": STRING, "session": SESSION, "records": RECORDS,
    "sessions": {**array(ROSTER_CHANGE), "description": "every session the change reached"}, **ROSTER_RESULT,
    "not_on_roster": {**array(EMAIL), "description": "asked to be removed, but not there"}}))


def roster_change_json(change, teacher):
    return {**session_json(change.session, teacher), "added": change.added,
            "invited": change.invited, "removed": change.removed, "uninvited": change.uninvited}


PRESENCE_CODE = Schema("PresenceCode", obj({
    "presence_code": {**STRING, "pattern": "^[0-9]{6}$"}, "valid_for_seconds": {**INTEGER, "minimum": 1},
    "step_seconds": {**INTEGER, "minimum": 1},
    "qr_png_base64": {"type": "string", "format": "byte", "description": "with qr=1: the code as a QR image"}},
    required=("presence_code", "valid_for_seconds", "step_seconds")))


def presence_code_json(current):
    """The room's current code (services.presence.current_code()), with its QR image when made."""
    answer = {"presence_code": current.code, "valid_for_seconds": current.seconds_left,
              "step_seconds": presence.STEP_SECONDS}
    if current.qr_png is not None:
        answer["qr_png_base64"] = presence.qr_base64(current.qr_png)
    return answer

# -- histories ------------------------------------------------------------------------------

CHANGE_FIELDS = {"by": {**EMAIL, "description": "who made the change"}, "at": DATETIME, "method": METHOD,
                 "from_status": nullable(RECORD_STATUS), "to_status": nullable(RECORD_STATUS),
                 "distance": nullable(NUMBER), "note": nullable(STRING)}
HISTORY = array(Schema("AttendanceEvent", obj({
    **SLOT_FIELDS, "student_email_id": EMAIL, **CHANGE_FIELDS,
    "late": {**nullable(BOOLEAN), "description": "the late flag after the change; null unless present"}})))


def _change_json(e):
    """Who changed an attendance record, when, how, from what to what."""
    return {"by": e.actor_email, "at": local_instant(e.at), "method": e.method, "from_status": e.from_status,
            "to_status": e.to_status, "distance": _distance(e.distance), "note": e.note}


def history_json(e):
    """One change of a record in the audit trail of services.corrections.history()."""
    return {**slot_json(e.class_name, e.class_date, e.starts_at, e.ends_at),
            "student_email_id": e.student_email, **_change_json(e), "late": e.late}


OWN_CHANGE = Schema("OwnAttendanceEvent", obj({**SLOT_FIELDS, **CHANGE_FIELDS}))


def own_change_json(c):
    """A change of the caller's own record (services.privacy.own_audit())."""
    return {**slot_json(c.class_name, c.starts_at.date(), c.starts_at, c.ends_at), **_change_json(c)}


ROSTER_HISTORY = array(Schema("RosterEvent", obj({
    **SLOT_FIELDS, "student_email_id": EMAIL, "by": {**EMAIL, "description": "who made the change"},
    "at": DATETIME, "action": one_of("added", "invited", "joined", "removed", "uninvited"),
    "from_status": {**nullable(RECORD_STATUS), "description": "the record's status when it was removed"},
    "note": nullable(STRING)})))


def roster_event_json(e):
    return {**slot_json(e.class_name, e.class_date, e.starts_at, e.ends_at), "student_email_id": e.email,
            "by": e.actor_email, "at": local_instant(e.at), "action": e.action, "from_status": e.from_status,
            "note": e.note}


AUDIT_ENTRY = Schema("AuditEntry", obj({
    "at": DATETIME, "kind": {**STRING, "example": "erase.account"},
    "actor_email_id": nullable(EMAIL), "actor_type": nullable(USER_TYPE),
    "subject_email_id": nullable(EMAIL), "subject_type": nullable(USER_TYPE),
    **{name: nullable(schema) for name, schema in SLOT_FIELDS.items()},
    "distance": nullable(NUMBER), "detail": nullable({"type": "object", "additionalProperties": True})}))
NO_SLOT = dict.fromkeys(SLOT_FIELDS)


def audit_json(e):
    """One entry of the audit log (services.audit.entries())."""
    slot = slot_json(e.class_name, e.starts_at.date(), e.starts_at, e.ends_at) if e.starts_at \
        else {**NO_SLOT, "class_name": e.class_name}
    return {"at": local_instant(e.at), "kind": e.kind, "actor_email_id": e.actor_email, "actor_type": e.actor_role,
            "subject_email_id": e.subject_email, "subject_type": e.subject_role, **slot,
            "distance": _distance(e.distance), "detail": json.loads(e.detail) if e.detail else None}


OWN_AUDIT = Schema("OwnAudit", obj({"audit": array(AUDIT_ENTRY), "changes": array(OWN_CHANGE)}))

# -- leave requests --------------------------------------------------------------------------

LEAVE_REQUEST = Schema("LeaveRequest", obj({
    "id": {**INTEGER, "description": "leave_request_id for decide_leave_request"}, **SLOT_FIELDS,
    "student_email_id": EMAIL, "student_name": STRING, "teacher_email_id": EMAIL,
    "reason": STRING, "status": one_of(*LEAVE_STATUSES), "requested_at": DATETIME,
    "decided_at": nullable(DATETIME), "decided_by": nullable(EMAIL),
    "teacher_note": {**nullable(STRING), "description": "the teacher's answer"}}))
LEAVE_REQUESTS = array(LEAVE_REQUEST)
LEAVE_REQUEST_CHANGED = Schema("LeaveRequestChanged", obj({
    "SUCCESS": STRING, "leave_request": LEAVE_REQUEST,
    "record": {**RECORD, "description": "decide_leave_request, approved: the record, now excused"}},
    required=("SUCCESS", "leave_request")))


def leave_request_json(r):
    """A leave request (services.leave.row()) as the student and the teacher see it."""
    return {"id": r.id, **slot_json(r.class_name, r.class_date, r.starts_at, r.ends_at),
            "student_email_id": r.student_email, "student_name": r.student_name,
            "teacher_email_id": r.teacher_email, "reason": r.reason, "status": r.status,
            "requested_at": local_instant(r.requested_at),
            "decided_at": local_instant(r.decided_at) if r.decided_at else None,
            "decided_by": r.decided_by_email, "teacher_note": r.teacher_note}


# -- a person's export ----------------------------------------------------------------------

TEMPLATES_LEFT_OUT = ("Face templates are not exported: they are biometric data, a copy outside Rollcall "
                      "could not be revoked, and no other system can use them. Erase them with delete_my_faces.")
ENROLLMENTS = array(obj({"enrolled_at": DATETIME, "source": one_of(*FACE_SOURCES)}))
MY_FACES = Schema("MyFaces", obj({"count": COUNT, "most": {**COUNT, "description": "add_face refuses more"},
                                  "enrollments": ENROLLMENTS}))


def enrollments_json(faces):
    return [{"enrolled_at": local_instant(f.created_at), "source": f.source} for f in faces]


def my_faces_json(faces):
    return {"count": len(faces), "most": accounts.MAX_FACES, "enrollments": enrollments_json(faces)}


EXPORT = Schema("PersonalDataExport", obj({
    "profile": USER,
    "faces": obj({"count": COUNT, "templates_included": {**BOOLEAN, "enum": [False]}, "why": STRING,
                  "enrollments": ENROLLMENTS}),
    "records": RECORDS,
    "history": array(obj({"record_id": INTEGER, **CHANGE_FIELDS})),
    "sessions": {**array(obj({**SLOT_FIELDS, "create_datetime": DATETIME, "roster_size": COUNT})),
                 "description": "a teacher's own sessions"},
    "teachers": {**TEACHERS, "description": "a student's teachers"},
    "roster_changes": {**array(obj({**SLOT_FIELDS, "action": STRING, "by": EMAIL, "at": DATETIME,
                                    "from_status": nullable(STRING), "note": nullable(STRING)})),
                       "description": "roster changes that named the caller's address"},
    "invitations": {**array(obj({**SLOT_FIELDS, "invited_at": DATETIME})),
                    "description": "rosters that invited the caller's address"},
    "audit": {**array(AUDIT_ENTRY), "description": "audit entries about the caller"},
    "mentions": {**array(obj({"table": STRING, "column": STRING, "text": STRING})),
                 "description": "any other stored text that names the caller"},
    "leave_requests": {**LEAVE_REQUESTS, "description": "a student's leave requests, with their reasons"},
    "guardian_email": {**nullable(EMAIL), "description": "a student's guardian, told of low attendance"},
    "mail": {**array(obj({"kind": one_of(*MAIL_KINDS), "recipient": EMAIL, "subject": STRING,
                          "status": one_of(*MAIL_STATUSES), "create_datetime": DATETIME,
                          "sent_at": nullable(DATETIME)})),
             "description": "mail about a student, sent or waiting"}},
    required=("profile", "faces", "records", "history", "sessions", "roster_changes", "invitations", "audit",
              "mentions")))


def export_json(user, data):
    """Everything services.privacy.export() found about ``user``."""
    faces, records, history, sessions = data.faces, data.records, data.history, data.sessions
    body = {
        "profile": user_json(user),
        "faces": {"count": len(faces), "templates_included": False, "why": TEMPLATES_LEFT_OUT,
                  "enrollments": enrollments_json(faces)},
        "records": records_json(records),
        "history": [{"record_id": e.record_id, "at": local_instant(e.at), "by": e.actor_email, "method": e.method,
                     "from_status": e.from_status, "to_status": e.to_status,
                     "distance": _distance(e.distance), "note": e.note}
                    for e in history],
        "sessions": [{**slot_json(s.class_name, s.class_date, s.starts_at, s.ends_at),
                      "create_datetime": local_instant(s.created_at), "roster_size": s.roster_size}
                     for s in sessions],
        "roster_changes": [{**slot_json(c.class_name, c.starts_at.date(), c.starts_at, c.ends_at),
                            "action": c.action, "by": c.actor_email, "at": local_instant(c.at),
                            "from_status": c.from_status, "note": c.note} for c in data.roster_changes],
        "invitations": [{**slot_json(i.class_name, i.starts_at.date(), i.starts_at, i.ends_at),
                         "invited_at": local_instant(i.created_at)} for i in data.invitations],
        "audit": [audit_json(e) for e in data.audit],
        "mentions": [{"table": m.table, "column": m.column, "text": m.text} for m in data.mentions],
    }
    if user.role == STUDENT:
        body["teachers"] = teachers_json(user)
        body["guardian_email"] = mail.guardian_of(user.email)
        body["mail"] = [{"kind": m.kind, "recipient": m.recipient, "subject": m.subject, "status": m.status,
                         "create_datetime": local_instant(m.created_at),
                         "sent_at": local_instant(m.sent_at) if m.sent_at else None} for m in mail.about(user)]
    return body


# -- class photos and their jobs ------------------------------------------------------------

CANDIDATE = Schema("Candidate", obj({"student_email_id": EMAIL, "name": STRING, "distance": NUMBER}))
FACE = Schema("RecognisedFace", obj({
    "image_index": {**COUNT, "description": "which uploaded photo"},
    "box": obj({k: INTEGER for k in ("x_min", "y_min", "x_max", "y_max")}),
    "status": one_of("matched", "needs_review", "unknown"),
    "student_email_id": nullable(EMAIL), "name": nullable(STRING), "distance": nullable(NUMBER),
    "candidates": array(CANDIDATE)},
    required=("image_index", "box", "status", "student_email_id", "name", "distance")))
CLASS_PHOTO_FIELDS = {
    "SUCCESS": STRING, "roster_empty": {**BOOLEAN, "description": "nobody can be recognised"},
    "faces": array(FACE), "present": array(EMAIL),
    "absent": {**array(EMAIL), "description": "roster students not present"},
    "unknown_faces": COUNT, "needs_review": array(FACE),
    "annotated_image": {"type": "string", "format": "byte", "description": "with annotate=1: base64 JPEG"},
    "annotated_images": {**array({"type": "string", "format": "byte"}), "description": "one per photo"}}
CLASS_PHOTO = Schema("ClassPhotoResult", obj(CLASS_PHOTO_FIELDS, required=(
    "SUCCESS", "faces", "present", "absent", "unknown_faces", "needs_review")))
JOB_PROGRESS = {"job_id": STRING, "photos": {**INTEGER, "minimum": 1}, "photos_done": COUNT, "faces_found": COUNT}
PHOTO_JOB_QUEUED = Schema("PhotoJobQueued", obj({"SUCCESS": STRING, **JOB_PROGRESS, "status": one_of("queued")},
                                                required=("job_id", "status")))
# The job as services.photo_jobs.public_view() shows it: its progress, then (done) the class
# photo's answer or (failed) what stopped it.
PHOTO_JOB = Schema("PhotoJob", obj({
    **JOB_PROGRESS, "status": one_of("queued", "running", "done", "failed"),
    **{name: {**schema, "description": "done: as mark_class_attendance answers"}
       for name, schema in CLASS_PHOTO_FIELDS.items()},
    "error": {**ERROR, "description": "failed: what stopped the job"}},
    required=("job_id", "status", "photos", "photos_done", "faces_found")))

# -- term reports and health ----------------------------------------------------------------

ATTENDANCE_REPORT = Schema("AttendanceReport", obj({
    "class_name": nullable(STRING), "from_date": nullable(DATE), "to_date": nullable(DATE),
    "threshold": {**NUMBER, "description": "LOW_ATTENDANCE_THRESHOLD, percent"},
    "students": array(obj({
        "student_email_id": EMAIL, "name": STRING, "class_name": STRING,
        "held": COUNT, "present": COUNT, "absent": COUNT, "excused": COUNT,
        "rate": {**nullable(NUMBER), "description": "percent present (late arrivals included) of present + "
                                                    "absent, one decimal"},
        "tardy": {**COUNT, "description": "late arrivals (counted in present too)"},
        "tardy_rate": {**nullable(NUMBER), "description": "percent of present + absent that came late, one decimal"},
        "categories": {**obj({c: COUNT for c in categories.CATEGORIES}),
                       "description": "the sessions counted, by Ed-Fi attendance event category"},
        "below_threshold": BOOLEAN}))}))


def attendance_report_json(class_name, from_date, to_date, threshold, rows):
    """services.term_reports.student_rates() for the range asked (None: open)."""
    return {"class_name": class_name, "from_date": from_date and from_date.isoformat(),
            "to_date": to_date and to_date.isoformat(), "threshold": threshold,
            "students": [{"student_email_id": r.email, "name": r.name, "class_name": r.class_name,
                          "held": r.held, "present": r.present, "absent": r.absent, "excused": r.excused,
                          "rate": None if r.rate is None else round(float(r.rate), 1),
                          "tardy": r.tardy,
                          "tardy_rate": None if r.tardy_rate is None else round(float(r.tardy_rate), 1),
                          "categories": {categories.IN_ATTENDANCE: r.present - r.tardy, categories.TARDY: r.tardy,
                                         categories.EXCUSED_ABSENCE: r.excused,
                                         categories.UNEXCUSED_ABSENCE: r.absent},
                          "below_threshold": bool(r.below)} for r in rows]}
HEALTH = Schema("Health", obj({"status": one_of("ok"), "database": one_of("ok"), "models": one_of("loaded"),
                               "blas": {**STRING, "description": "the BLAS dlib's encoder runs on"}}))


# -- webhooks ----------------------------------------------------------------------------------

WEBHOOK = Schema("Webhook", obj({
    "id": INTEGER, "url": STRING, "events": array(one_of(*WEBHOOK_EVENTS)), "create_datetime": DATETIME,
    "deliveries": {**obj({k: COUNT for k in DELIVERY_STATUSES}), "description": "how many, by outcome"}}))
WEBHOOK_CREATED = Schema("WebhookCreated", obj({
    "SUCCESS": STRING, "webhook": WEBHOOK,
    "secret": {**STRING, "description": "signs every delivery (X-Rollcall-Signature); shown only now"}}))
WEBHOOK_DELIVERY = Schema("WebhookDelivery", obj({
    "event_id": STRING, "event_type": one_of(*WEBHOOK_EVENTS), "status": one_of(*DELIVERY_STATUSES),
    "attempts": COUNT, "create_datetime": DATETIME, "last_attempt_at": nullable(DATETIME),
    "next_attempt_at": {**nullable(DATETIME), "description": "while pending"},
    "last_status_code": nullable(INTEGER), "last_error": nullable(STRING), "delivered_at": nullable(DATETIME)}))


def webhook_json(hook):
    counts = dict.fromkeys(DELIVERY_STATUSES, 0)
    counts.update(webhooks.delivery_counts(hook.id))
    return {"id": hook.id, "url": hook.url, "events": hook.events.split(","),
            "create_datetime": local_instant(hook.created_at), "deliveries": counts}


def webhook_delivery_json(x):
    def instant(value):
        return local_instant(value) if value else None
    return {"event_id": x.event_id, "event_type": x.event_type, "status": x.status, "attempts": x.attempts,
            "create_datetime": local_instant(x.created_at), "last_attempt_at": instant(x.last_attempt_at),
            "next_attempt_at": instant(x.next_attempt_at) if x.status == "pending" else None,
            "last_status_code": x.last_status_code, "last_error": x.last_error,
            "delivered_at": instant(x.delivered_at)}


# -- the door kiosk ---------------------------------------------------------------------------

KIOSK_CHECK_IN = Schema("KioskCheckIn", obj({
    "status": {"type": "string", "enum": list(kiosk.STATUSES),
               "description": "marked: recognised and marked present now; already_marked: recognised, its "
                              "record already had a status; review: close to a roster student but not sure "
                              "enough, nobody marked; unknown: nobody on the roster; no_face: no face found"},
    "student_email_id": {**nullable(EMAIL), "description": "when marked or already_marked, else null"},
    "name": {**nullable(STRING), "description": "the student's name when marked or already_marked, else null"},
}))


def kiosk_json(result):
    student = result.student
    return {"status": result.status, "student_email_id": student.email if student else None,
            "name": student.name if student else None}


# -- invitations claimed with proof, and guardians ---------------------------------------------

EMAIL_PROVEN = Schema("EmailProven", obj({
    "SUCCESS": STRING, "student_email_id": EMAIL,
    "sessions_joined": {**COUNT, "description": "roster sessions (not ended yet) the student joined now"}}))
AWAITING_PROOF = Schema("StudentAwaitingProof", obj({
    "student_email_id": EMAIL, "name": STRING, "create_datetime": DATETIME,
    "invited_sessions": {**COUNT, "description": "sessions (the teacher's own, for a teacher) inviting the address"}}))
GUARDIAN = Schema("Guardian", obj({
    "SUCCESS": STRING,
    "guardian_email": {**nullable(EMAIL), "description": "gets the weekly low-attendance notice too; null: none"}}))
MAIL = Schema("Mail", obj({
    "kind": one_of(*MAIL_KINDS), "recipient": EMAIL, "subject": STRING, "status": one_of(*MAIL_STATUSES),
    "attempts": COUNT, "create_datetime": DATETIME, "last_attempt_at": nullable(DATETIME),
    "next_attempt_at": {**nullable(DATETIME), "description": "while pending"}, "last_error": nullable(STRING),
    "sent_at": nullable(DATETIME)}))


def mail_json(message):
    """One outbox row as the administrator sees it: its outcome, not its text."""
    def instant(value):
        return local_instant(value) if value else None
    return {"kind": message.kind, "recipient": message.recipient, "subject": message.subject,
            "status": message.status, "attempts": message.attempts,
            "create_datetime": local_instant(message.created_at), "last_attempt_at": instant(message.last_attempt_at),
            "next_attempt_at": instant(message.next_attempt_at) if message.status == "pending" else None,
            "last_error": message.last_error, "sent_at": instant(message.sent_at)}
