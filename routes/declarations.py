"""What an endpoint declares about itself: the fields it reads (here) and its answer (a
schema of routes/answers.py).

Every endpoint declares both, and one declaration serves two readers: the field reader
(routes/fields.py) takes a field's limits, whether it is required and its aliases from here,
and the OpenAPI document (routes/openapi.py) describes the same objects. Reading a field
that was not declared is a programming error, and so is an endpoint without a declaration.
"""
import dataclasses
from dataclasses import dataclass, field
from typing import Any

# -- fields -------------------------------------------------------------------------------

# Kinds read as one string; each such field declares its longest accepted length.
TEXT_KINDS = ("text", "email", "date", "time", "choice", "flag", "integer")
KINDS = (*TEXT_KINDS, "emails", "dates", "image", "file")


@dataclass(frozen=True)
class Field:
    """One request field. ``kind`` is how the reader reads it: text, email, emails (a list
    of addresses), date, dates (a list of dates), time, choice, flag, integer, image, file.
    ``max_length`` is the longest value (for a list, the longest item); ``max_items`` the
    most items of a list (or photos)."""
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

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"field {self.name}: unknown kind {self.kind!r}")
        if self.max_length is None and self.kind in (*TEXT_KINDS, "emails", "dates"):
            raise ValueError(f"field {self.name}: a {self.kind} field declares its max_length")
        if self.kind in ("emails", "dates") and self.max_items is None:
            raise ValueError(f"field {self.name}: a list declares its max_items")

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
MAX_EMAIL = 254
MAX_NAME = 200
MAX_SECRET = 1024
MAX_FLAG = 5
MAX_INTEGER = 12
MAX_DATE = 10
MAX_TIME = 8
MAX_CHOICE = 40  # a choice is one of a few short words; anything longer is refused unread

EMAIL_ID = Field("email_id", "email", "The caller's email address (lower-cased).", STUDENT_EMAIL, max_length=MAX_EMAIL)
TEACHER_EMAIL_ID = Field("teacher_email_id", "email", "The teacher's email address; must be the token's owner.",
                         TEACHER_EMAIL, aliases=("email_id",), max_length=MAX_EMAIL)
STUDENT_EMAIL_ID = Field("student_email_id", "email", "The student's email address.", STUDENT_EMAIL,
                         aliases=("email_id",), max_length=MAX_EMAIL)
NAME = Field("name", description="The person's name as shown to others.", example="Barack", max_length=MAX_NAME)
TEACHER_NAME = Field("teacher_name", description="The teacher's name.", example="Ms Teacher",
                     aliases=("name",), max_length=MAX_NAME)
PASSWD_HASH = Field("passwd_hash", description="The account's secret as the client sends it (the web client "
                    "sends an MD5 of the password); stored only as a slow salted hash.",
                    example="5f4dcc3b5aa765d61d8327deb882cf99", max_length=MAX_SECRET)
IMAGE_FILE = Field("image_file", "image", "A photo (JPEG, PNG or WebP): a file part, or a base64 string "
                   "(a data: URL prefix is accepted; in a form '+' may arrive as a space).",
                   aliases=("image",))
CLASS_NAME = Field("class_name", description="The class session's name.", example="Math 101", max_length=MAX_NAME)
CLASS_DATE = Field("class_date", "date", "The session's date, YYYY-MM-DD (YYYY/MM/DD and unpadded months "
                   "and days are accepted too).", "2026-03-02", max_length=MAX_DATE)
START_TIME = Field("start_time", "time", "Start on the school's wall clock, HH:MM (HH:MM:SS accepted).",
                   "09:00", max_length=MAX_TIME)
END_TIME = Field("end_time", "time", "End on the school's wall clock, HH:MM (HH:MM:SS accepted); "
                 "later than start_time.", "10:00", max_length=MAX_TIME)
SLOT = (CLASS_NAME, CLASS_DATE, START_TIME, END_TIME)
# A history's filter: a session (all four fields), a student, or both.
OPTIONAL_SLOT = tuple(f.but(required=False, description=f.description + " Name a session (all four "
                            "fields) or a student_email_id, or both.") for f in SLOT)

LIMIT = Field("limit", "integer", "Page size; without it the listing is complete.", 50, required=False,
              minimum=1, maximum=10_000, max_length=MAX_INTEGER)
OFFSET = Field("offset", "integer", "How many items to skip.", 0, required=False, minimum=0,
               maximum=999_999_999_999, max_length=MAX_INTEGER)
PAGE = (LIMIT, OFFSET)
STUDENT_EMAIL_IDS = Field("student_email_ids", "emails", "The roster: email addresses separated by commas "
                          "(a JSON body may send a list). Blank or absent: reuse the roster of this teacher's "
                          "latest session of the same class_name.",
                          f"{STUDENT_EMAIL},rose@school.test", required=False, max_length=MAX_EMAIL, max_items=1000)
ROSTER_FILE = Field("roster_file", "file", "The roster as a CSV file (columns email and an optional name, "
                    "and under a header an optional guardian_email for the weekly low-attendance notice; "
                    "UTF-8 with or without BOM; ',' or ';'), instead of student_email_ids.", required=False)
REQUIRE_CODE = Field("require_code", "flag", "1: a selfie check-in must carry the room's current presence "
                     "code (get_presence_code).", "0", required=False, max_length=MAX_FLAG)
ALLOW_REMOTE = Field("allow_remote", "flag", "1: an online class; self check-in is accepted from outside the "
                     "school's networks (CHECKIN_NETWORKS).", "0", required=False, max_length=MAX_FLAG)
PRESENCE_CODE = Field("presence_code", description="The 6-digit code shown in the room, when the session "
                      "requires one.", example="123456", required=False, max_length=20)
REVIEW = Field("review", description="The review's text.", example="Check-in took two seconds.",
               aliases=("msg",), max_length=MAX_TEXT)
USER_TYPE = Field("user_type", "integer", "1 teacher, 0 student, 2 admin; when given it must match the "
                  "token's account.", 0, required=False, minimum=0, maximum=2, max_length=MAX_INTEGER)
STATUS = Field("status", "choice", "The student's status in this session.", "present",
               options=("present", "absent", "excused"), max_length=MAX_CHOICE)
NOTE = Field("note", description="Why the status was changed (kept in the history).",
             example="Doctor's note.", required=False, max_length=1000)
ASYNC = Field("async", "flag", "1: answer 202 at once with a job_id, and read the result from get_photo_job.",
              "0", required=False, max_length=MAX_FLAG)
ANNOTATE = Field("annotate", "flag", "1 (or true, yes, on) to get the photos back with each face boxed.",
                 "1", required=False, max_length=MAX_FLAG)
TOKEN = Field("token", description="The login token, when not sent as `Authorization: Bearer <token>`.",
              required=False, max_length=200)


# -- fields of the term, roster, privacy and administration endpoints -----------------------

FROM_DATE = CLASS_DATE.but(name="from_date", description="The first day, YYYY-MM-DD.", example="2026-03-02")
TO_DATE = CLASS_DATE.but(name="to_date", description="The last day, YYYY-MM-DD; not before from_date.",
                         example="2026-06-26")
WEEKDAYS = Field("weekdays", description="The days of the week the class meets, comma-separated: mon, tue, "
                 "wed, thu, fri, sat, sun (whole names work too).", example="mon,wed", max_length=MAX_TEXT)
SKIP_DATES = Field("skip_dates", "dates", "Days without class (holidays), comma-separated YYYY-MM-DD "
                   "(a JSON body may send a list).", "2026-04-06,2026-04-07", required=False,
                   max_length=MAX_DATE, max_items=400)
QR = Field("qr", "flag", "1: also answer the code as a QR image (PNG, base64).", "0", required=False,
           max_length=MAX_FLAG)
JOB_ID = Field("job_id", description="The job_id mark_class_attendance answered with async=1.",
               example="Jd4xC1y0bq3n2Zk7Qm9f3w", max_length=64)
ADD_STUDENTS = STUDENT_EMAIL_IDS.but(name="add_student_email_ids", description="Students to add, email "
                                     "addresses separated by commas (a JSON body may send a list).")
REMOVE_STUDENTS = STUDENT_EMAIL_IDS.but(name="remove_student_email_ids", description="Students to remove, "
                                        "email addresses separated by commas (a JSON body may send a list).",
                                        example="rose@school.test")
FORCE = Field("force", "flag", "1: also remove students whose record is already marked (the roster "
              "history keeps what it was); without it such a removal is refused.", "0", required=False,
              max_length=MAX_FLAG)
OPTIONAL_CLASS_NAME = CLASS_NAME.but(required=False)

ADMIN_EMAIL = "admin@school.test"
USER_EMAIL_ID = Field("user_email_id", "email", "The email address of the account this is about.",
                      TEACHER_EMAIL, max_length=MAX_EMAIL)
ACCOUNT_TYPE = Field("user_type", "integer", "The account's type: 0 student, 1 teacher, 2 admin.", 1,
                     minimum=0, maximum=2, max_length=MAX_INTEGER)
NEW_TEACHER_NAME = NAME.but(description="The new teacher's name.", example="Ms Teacher")
ACTOR_EMAIL_ID = USER_EMAIL_ID.but(name="actor_email_id", required=False,
                                   description="Only entries made by this account.")
ACTOR_TYPE = ACCOUNT_TYPE.but(name="actor_type", required=False,
                              description="actor_email_id's account type (default 1, teacher).")
SUBJECT_EMAIL_ID = USER_EMAIL_ID.but(name="subject_email_id", required=False,
                                     description="Only entries about this account.", example=STUDENT_EMAIL)
SUBJECT_TYPE = ACCOUNT_TYPE.but(name="subject_type", required=False, example=0,
                                description="subject_email_id's account type (default 0, student).")
AUDIT_KIND = Field("kind", description="Only entries of this kind, e.g. erase.account.", example="erase.account",
                   required=False, max_length=40)
FROM_TEACHER = USER_EMAIL_ID.but(name="from_email_id", description="The teacher whose sessions move.")
TO_TEACHER = USER_EMAIL_ID.but(name="to_email_id", description="The active teacher who receives them.",
                               example="new.teacher@school.test")


@dataclass(frozen=True)
class Declaration:
    """What one endpoint takes (``fields``) and answers: ``returns``, the JSON answer's
    schema, or ``content`` (media type -> {"schema": ...}) when the answer is not JSON."""
    fields: tuple
    returns: Any = None
    summary: str = ""
    errors: tuple = ()  # statuses beyond the ones its fields and authentication imply
    role: Any = "anyone"
    authenticated: bool = False
    email_field: str | None = None
    content: Any = None
    accepted: Any = None  # the 202 answer's schema, for a view that may queue its work
    reads_body: bool = True  # an endpoint() view: every one may answer 400, 413 and 503
    by_name: dict = field(default_factory=dict, compare=False)

    def __post_init__(self):
        if self.fields is None or (self.returns is None) == (self.content is None):
            raise TypeError("A declaration names its fields (takes) and exactly one answer (returns or content).")
        self.by_name.update({f.name: f for f in self.fields})


def describe(view, **declaration):
    """Declares a view registered without endpoint() (plain GET routes): what it answers."""
    view.api_declaration = Declaration(fields=(), reads_body=False, **declaration)
    return view
