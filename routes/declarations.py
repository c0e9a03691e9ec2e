"""What an endpoint declares about itself: its fields and the shape of its answer.

One declaration serves two readers: the field reader (routes/fields.py) takes a field's
limits, whether it is required and its aliases from here, and the OpenAPI document
(routes/openapi.py) describes the same objects. An endpoint that declares nothing still
works and is still documented, with a generic body.
"""
import dataclasses
from dataclasses import dataclass, field
from typing import Any

# -- fields -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Field:
    """One request field. ``kind`` is how the reader reads it: text, email, emails, date,
    time, choice, flag, integer, image, file."""
    name: str
    kind: str = "text"
    description: str = ""
    example: Any = None
    required: bool = True
    aliases: tuple = ()
    max_length: int | None = None
    minimum: int | None = None
    maximum: int | None = None
    options: tuple = ()
    max_items: int | None = None

    def but(self, **changes):
        """This field with some attributes changed (an optional copy, another example...)."""
        return dataclasses.replace(self, **changes)

    @property
    def names(self):
        """Every name the field may arrive under, the documented one first."""
        return (self.name, *self.aliases)


TEACHER_EMAIL = "teacher@school.test"
STUDENT_EMAIL = "student@school.test"
MAX_TEXT = 10_000

EMAIL_ID = Field("email_id", "email", "The caller's email address (lower-cased).", STUDENT_EMAIL, max_length=254)
TEACHER_EMAIL_ID = Field("teacher_email_id", "email", "The teacher's email address; must be the token's owner.",
                         TEACHER_EMAIL, aliases=("email_id",), max_length=254)
STUDENT_EMAIL_ID = Field("student_email_id", "email", "The student's email address.", STUDENT_EMAIL,
                         aliases=("email_id",), max_length=254)
NAME = Field("name", description="The person's name as shown to others.", example="Barack", max_length=200)
TEACHER_NAME = Field("teacher_name", description="The teacher's name.", example="Ms Teacher",
                     aliases=("name",), max_length=200)
PASSWD_HASH = Field("passwd_hash", description="The account's secret as the client sends it (the web client "
                    "sends an MD5 of the password); stored only as a slow salted hash.",
                    example="5f4dcc3b5aa765d61d8327deb882cf99", max_length=1024)
IMAGE_FILE = Field("image_file", "image", "A photo (JPEG, PNG or WebP): a file part, or a base64 string "
                   "(a data: URL prefix is accepted; in a form '+' may arrive as a space).",
                   aliases=("image",))
CLASS_NAME = Field("class_name", description="The class session's name.", example="Math 101", max_length=200)
CLASS_DATE = Field("class_date", "date", "The session's date, YYYY-MM-DD (YYYY/MM/DD and unpadded months "
                   "and days are accepted too).", "2026-03-02", max_length=10)
START_TIME = Field("start_time", "time", "Start on the school's wall clock, HH:MM (HH:MM:SS accepted).",
                   "09:00", max_length=8)
END_TIME = Field("end_time", "time", "End on the school's wall clock, HH:MM (HH:MM:SS accepted); "
                 "later than start_time.", "10:00", max_length=8)
SLOT = (CLASS_NAME, CLASS_DATE, START_TIME, END_TIME)
LIMIT = Field("limit", "integer", "Page size; without it the listing is complete.", 50, required=False,
              minimum=1, maximum=10_000, max_length=12)
OFFSET = Field("offset", "integer", "How many items to skip.", 0, required=False, minimum=0,
               maximum=999_999_999_999, max_length=12)
PAGE = (LIMIT, OFFSET)
STUDENT_EMAIL_IDS = Field("student_email_ids", "emails", "The roster: email addresses separated by commas "
                          "(a JSON body may send a list). Blank or absent: reuse the roster of this teacher's "
                          "latest session of the same class_name.",
                          f"{STUDENT_EMAIL},rose@school.test", required=False, max_items=1000)
ROSTER_FILE = Field("roster_file", "file", "The roster as a CSV file (columns email and an optional name; "
                    "UTF-8 with or without BOM; ',' or ';'), instead of student_email_ids.", required=False)
REQUIRE_CODE = Field("require_code", "flag", "1: a selfie check-in must carry the room's current presence "
                     "code (get_presence_code).", "0", required=False, max_length=5)
PRESENCE_CODE = Field("presence_code", description="The 6-digit code shown in the room, when the session "
                      "requires one.", example="123456", required=False, max_length=20)
REVIEW = Field("review", description="The review's text.", example="Check-in took two seconds.",
               aliases=("msg",), max_length=10_000)
USER_TYPE = Field("user_type", "integer", "1 teacher, 0 student, 2 admin; when given it must match the "
                  "token's account.", 0, required=False, minimum=0, maximum=2, max_length=12)
STATUS = Field("status", "choice", "The student's status in this session.", "present",
               options=("present", "absent", "excused"), max_length=40)
NOTE = Field("note", description="Why the status was changed (kept in the history).",
             example="Doctor's note.", required=False, max_length=1000)
ASYNC = Field("async", "flag", "1: answer 202 at once with a job_id, and read the result from get_photo_job.",
              "0", required=False, max_length=5)
ANNOTATE = Field("annotate", "flag", "1 (or true, yes, on) to get the photos back with each face boxed.",
                 "1", required=False, max_length=5)
TOKEN = Field("token", description="The login token, when not sent as `Authorization: Bearer <token>`.",
              required=False, max_length=200)


@dataclass(frozen=True)
class Declaration:
    """What one endpoint takes and answers. ``fields=None``: not declared (documented generically)."""
    fields: tuple | None = None
    returns: Any = None
    summary: str = ""
    errors: tuple = ()  # statuses beyond the ones its fields and authentication imply
    role: Any = "anyone"
    authenticated: bool = False
    email_field: str | None = None
    content: Any = None  # media type -> {"schema": ...} when the answer is not JSON
    accepted: Any = None  # the 202 answer's schema, for a view that may queue its work
    reads_body: bool = True  # an endpoint() view: every one may answer 400, 413 and 503
    by_name: dict = field(default_factory=dict, compare=False)

    def __post_init__(self):
        self.by_name.update({f.name: f for f in self.fields or ()})


def describe(view, **declaration):
    """Declares a view registered without endpoint() (plain GET routes): what it answers."""
    view.api_declaration = Declaration(fields=(), reads_body=False, **declaration)
    return view


# -- answers: JSON Schema (OpenAPI 3.0) -----------------------------------------------------


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


STRING = {"type": "string"}
INTEGER = {"type": "integer"}
NUMBER = {"type": "number"}
DATE = {"type": "string", "format": "date", "example": "2026-03-02"}
HHMM = {"type": "string", "pattern": "^[0-2][0-9]:[0-5][0-9]$", "example": "09:00"}
DATETIME = {"type": "string", "format": "date-time", "example": "2026-03-02T09:03:11+00:00",
            "description": "ISO 8601 on the school's clock (TIMEZONE)"}
EMAIL = {"type": "string", "format": "email", "example": STUDENT_EMAIL}
ZERO_ONE = {"type": "integer", "enum": [0, 1]}

SUCCESS = Schema("Success", obj({"SUCCESS": {**STRING, "example": "Done."}}))
ERROR = Schema("Error", obj({"ERROR": {**STRING, "description": "One sentence a user can act on."},
                             "code": {**STRING, "description": "Stable snake_case code; see each status."}},
                            extra=False))
EMPTY = Schema("Empty", obj({}))
PROFILE_FIELDS = {"email_id": EMAIL, "name": STRING, "user_type": {"type": "integer", "enum": [0, 1, 2],
                                                                 "description": "1 teacher, 0 student, 2 admin"},
                  "faces_enrolled": {**INTEGER, "minimum": 0}, "create_datetime": DATETIME}
PROFILE = Schema("Profile", obj(PROFILE_FIELDS))
LOGIN = Schema("ProfileWithToken", obj({**PROFILE_FIELDS, "token": {**STRING, "description": "send it as "
                                        "`Authorization: Bearer <token>` (or the `token` field)"},
                                        "token_expires_at": DATETIME}))
# TEACHER_SIGNUP=approval: a teacher account an administrator must approve gets no token yet
AWAITING_APPROVAL = Schema("AwaitingApproval", obj({"SUCCESS": STRING, **PROFILE_FIELDS}))
REGISTERED = {"anyOf": [LOGIN, AWAITING_APPROVAL]}
ADDED_FACE = Schema("FaceAdded", obj({"SUCCESS": STRING, **PROFILE_FIELDS}))
RECORD = Schema("AttendanceRecord", obj({
    "id": INTEGER, "class_name": STRING, "student_email_id": EMAIL, "teacher_email_id": EMAIL,
    "attendance_marked": {**ZERO_ONE, "description": "1 when present"}, "class_date": DATE,
    "start_time": HHMM, "end_time": HHMM, "marked_time": nullable(DATETIME), "create_datetime": DATETIME,
    "status": {"type": "string", "enum": ["present", "absent", "excused", "pending"]},
    "method": nullable({"type": "string", "enum": ["selfie", "photo", "manual", "kiosk"]}),
    "distance": nullable({**NUMBER, "description": "face distance of a selfie, photo or kiosk marking"})}))
RECORDS = array(RECORD)
RECORD_CHANGED = Schema("RecordChanged", obj({"SUCCESS": STRING, "record": RECORD}))
SESSION = Schema("ClassSession", obj({"class_name": STRING, "class_date": DATE, "start_time": HHMM,
                                      "end_time": HHMM, "teacher_email_id": EMAIL, "create_datetime": DATETIME}))
CLASS_CREATED = Schema("ClassCreated", obj({"SUCCESS": STRING, "session": SESSION, "records": RECORDS,
                                            "unknown_student_email_ids": array(EMAIL)}))
COUNTS = Schema("Counts", obj({k: {**INTEGER, "minimum": 0} for k in
                               ("total", "present", "absent", "pending", "excused")}))
COUNTS_BY_KEY = {"type": "object", "additionalProperties": COUNTS,
                 "description": "keyed by \"<first>|<second>\" as the path's description says"}
TIME_RECORDS = array(obj({"email_id": EMAIL, "time": nullable(DATETIME)}))
LATEST_RECORDS = array(obj({"class_name": STRING, "class_date": DATE, "marked": ZERO_ONE}))
HISTORY = array(Schema("AttendanceEvent", obj({
    "class_name": STRING, "class_date": DATE, "start_time": HHMM, "end_time": HHMM, "student_email_id": EMAIL,
    "by": {**EMAIL, "description": "who made the change"}, "at": DATETIME,
    "method": {"type": "string", "enum": ["selfie", "photo", "manual", "kiosk"]},
    "from_status": nullable({"type": "string", "enum": ["present", "absent", "excused"]}),
    "to_status": nullable({"type": "string", "enum": ["present", "absent", "excused"]}),
    "distance": nullable(NUMBER), "note": nullable(STRING)})))
CANDIDATE = Schema("Candidate", obj({"student_email_id": EMAIL, "name": STRING, "distance": NUMBER}))
FACE = Schema("RecognisedFace", obj({
    "image_index": {**INTEGER, "minimum": 0, "description": "which uploaded photo"},
    "box": obj({k: INTEGER for k in ("x_min", "y_min", "x_max", "y_max")}),
    "status": {"type": "string", "enum": ["matched", "needs_review", "unknown"]},
    "student_email_id": nullable(EMAIL), "name": nullable(STRING), "distance": nullable(NUMBER),
    "candidates": array(CANDIDATE)},
    required=("image_index", "box", "status", "student_email_id", "name", "distance")))
CLASS_PHOTO = Schema("ClassPhotoResult", obj({
    "SUCCESS": STRING, "roster_empty": {"type": "boolean", "description": "nobody can be recognised"},
    "faces": array(FACE), "present": array(EMAIL),
    "absent": {**array(EMAIL), "description": "roster students not present"},
    "unknown_faces": {**INTEGER, "minimum": 0}, "needs_review": array(FACE),
    "annotated_image": {"type": "string", "format": "byte", "description": "with annotate=1: base64 JPEG"},
    "annotated_images": {**array({"type": "string", "format": "byte"}), "description": "one per photo"}},
    required=("SUCCESS", "faces", "present", "absent", "unknown_faces", "needs_review")))
PHOTO_JOB_QUEUED = Schema("PhotoJobQueued", obj({
    "SUCCESS": STRING, "job_id": STRING, "status": {"type": "string", "enum": ["queued"]},
    "photos": {**INTEGER, "minimum": 1}, "photos_done": {**INTEGER, "minimum": 0},
    "faces_found": {**INTEGER, "minimum": 0}}, required=("job_id", "status")))
HEALTH = Schema("Health", obj({"status": {"type": "string", "enum": ["ok"]},
                               "database": {"type": "string", "enum": ["ok"]},
                               "models": {"type": "string", "enum": ["loaded"]},
                               "blas": {**STRING, "description": "the BLAS dlib's encoder runs on"}}))
