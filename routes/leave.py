"""Excuses and leave requests: the student asks, the teacher decides, the student reads the answer."""
from models import LEAVE_STATUSES, STUDENT, TEACHER
import routes.answers as a
import routes.declarations as d
from routes.answers import leave_request_json, records_json
from routes.common import api_blueprint, endpoint
from services import leave, reports, webhooks
from services.errors import BadInput

bp = api_blueprint("leave")

REASON = d.Field("reason", description="Why the student asks to be excused (the teacher reads it; kept with the "
                 "record's history once approved).", example="Dentist appointment at 9:30.",
                 max_length=leave.MAX_REASON)
REQUEST_ID = d.Field("leave_request_id", "integer", "The request's id, as get_leave_requests lists it.", 17,
                     minimum=1, maximum=2**31 - 1, max_length=d.MAX_INTEGER)
DECISION = d.Field("decision", "choice", "approve: the record becomes excused; refuse: it stays as it is (a note "
                   "is then required).", "approve", options=tuple(leave.DECISIONS), max_length=d.MAX_CHOICE)
DECISION_NOTE = d.NOTE.but(description="The teacher's answer to the student (required to refuse).",
                           example="Please bring the appointment card.")
STATUS_FILTER = d.Field("status", "choice", "pending (the default), approved, refused, or all.", "pending",
                        required=False, options=(*LEAVE_STATUSES, "all"), max_length=d.MAX_CHOICE)


@endpoint(bp, "/request_leave", role=STUDENT, takes=(*d.SLOT, REASON), returns=a.LEAVE_REQUEST_CHANGED,
          errors=(404, 409), summary="Ask to be excused from a session of one's roster (past, running or future)")
def request_leave(fields, student):
    request_id = leave.ask(student, fields.slot(), fields.text("reason"))
    asked = leave_request_json(leave.row(request_id))
    webhooks.emit("leave.requested", asked)
    return {"SUCCESS": "Your request was sent to the teacher.", "leave_request": asked}


@endpoint(bp, "/get_my_leave_requests", role=STUDENT, takes=d.PAGE, returns=a.LEAVE_REQUESTS,
          summary="The student's own leave requests and their answers, the latest session first")
def get_my_leave_requests(fields, student):
    return [leave_request_json(r) for r in leave.own_requests(student, fields.page())]


@endpoint(bp, "/get_leave_requests", role=TEACHER, takes=(STATUS_FILTER, *d.PAGE), returns=a.LEAVE_REQUESTS,
          summary="Leave requests for the teacher's sessions, the longest waiting first")
def get_leave_requests(fields, teacher):
    status = fields.choice("status") or "pending"
    return [leave_request_json(r) for r in
            leave.teacher_requests(teacher, None if status == "all" else status, fields.page())]


@endpoint(bp, "/decide_leave_request", role=TEACHER, takes=(REQUEST_ID, DECISION, DECISION_NOTE),
          returns=a.LEAVE_REQUEST_CHANGED, errors=(404, 409),
          summary="Approve (the record becomes excused) or refuse (with a note) a pending leave request")
def decide_leave_request(fields, teacher):
    request_id = fields.integer("leave_request_id")
    if request_id is None:
        raise BadInput("The field leave_request_id is required.", code="missing_field")
    decision = fields.choice("decision")
    record_id = leave.decide(teacher, request_id, decision, fields.text("note"))
    row = leave.row(request_id)
    answer = {"SUCCESS": f"Request {row.status}.", "leave_request": leave_request_json(row)}
    webhooks.emit("leave.decided", answer["leave_request"])
    if record_id is not None:
        answer["record"] = records_json([reports.record_row(record_id)])[0]
        webhooks.emit("attendance.changed", answer["record"])
    return answer
