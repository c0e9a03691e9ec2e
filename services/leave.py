"""Excuses and leave requests: a student asks to be excused from a session of their roster (past,
running or future) with a reason; the session's teacher approves (the record becomes excused,
the reason in its history) or refuses with a note; the student reads the answer.

A student sees only their own requests, a teacher only those of their own sessions. Every
step is in the audit log (leave.requested, leave.approved, leave.refused), without the reason:
that stays in the request, which erasing the student deletes.
"""
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from models import AttendanceRecord, ClassSession, LeaveRequest, User, db
from services import audit, clock
from services.errors import BadInput, Conflict, Forbidden, NotFound
from services.records import Student, Teacher, page

PENDING, APPROVED, REFUSED = "pending", "approved", "refused"
DECISIONS = {"approve": APPROVED, "refuse": REFUSED}
MAX_REASON = 500
Decider = aliased(User, name="decider")


def _rows():
    """Requests with their session, student, teacher and who decided, as the answers show them."""
    return (select(LeaveRequest.id, LeaveRequest.reason, LeaveRequest.status, LeaveRequest.requested_at,
                   LeaveRequest.decided_at, LeaveRequest.teacher_note, ClassSession.class_name,
                   ClassSession.class_date, ClassSession.starts_at, ClassSession.ends_at,
                   Student.email.label("student_email"), Student.name.label("student_name"),
                   Teacher.email.label("teacher_email"), Decider.email.label("decided_by_email"))
            .join(ClassSession, LeaveRequest.session_id == ClassSession.id)
            .join(Student, LeaveRequest.student_id == Student.id)
            .join(Teacher, ClassSession.teacher_id == Teacher.id)
            .outerjoin(Decider, LeaveRequest.decided_by == Decider.id))


def row(request_id):
    return db.session.execute(_rows().where(LeaveRequest.id == request_id)).one()


def ask(student, slot, reason):
    """The student's request to be excused from the session named by ``slot``; returns its id.

    Refused: a session that does not exist (404) or whose roster lacks the student (403), a
    record already excused, a request already waiting (409). Asked again after a refusal, the
    request is pending again with the new reason."""
    reason = reason.strip()
    if len(reason) > MAX_REASON:
        raise BadInput(f"The reason is limited to {MAX_REASON} characters.", code="bad_field")
    record = db.session.execute(
        select(AttendanceRecord.session_id, AttendanceRecord.status)
        .join(ClassSession, AttendanceRecord.session_id == ClassSession.id)
        .where(AttendanceRecord.student_id == student.id, *slot.matches())).first()
    if record is None:
        if db.session.scalar(select(ClassSession.id).where(*slot.matches()).limit(1)) is None:
            raise NotFound("There is no class session with this name, date and time.", code="no_such_class")
        raise Forbidden("You are not on the roster of this class session.", code="not_on_roster")
    if record.status == "excused":
        raise Conflict("You are already excused from this class.", code="already_excused")
    now = clock.utc_naive()
    existing = db.session.scalar(select(LeaveRequest).where(LeaveRequest.session_id == record.session_id,
                                                            LeaveRequest.student_id == student.id))
    if existing is not None and existing.status == PENDING:
        raise Conflict("Your request for this class is waiting for the teacher's answer.", code="already_requested")
    if existing is None:
        existing = LeaveRequest(session_id=record.session_id, student_id=student.id, reason=reason, status=PENDING,
                                requested_at=now)
        try:
            with db.session.begin_nested():  # a double click: the second request finds the first
                db.session.add(existing)
        except IntegrityError:
            raise Conflict("Your request for this class is waiting for the teacher's answer.",
                           code="already_requested") from None
    else:  # refused (or approved, then changed by the teacher): asked anew
        existing.reason, existing.status, existing.requested_at = reason, PENDING, now
        existing.decided_at = existing.decided_by = existing.teacher_note = None
    db.session.flush()
    audit.log("leave.requested", student, student, record.session_id, detail={"leave_request_id": existing.id})
    return existing.id


def own_requests(student, limit_offset=(None, 0)):
    """The student's requests, the latest session first."""
    query = (_rows().where(LeaveRequest.student_id == student.id)
             .order_by(ClassSession.starts_at.desc(), LeaveRequest.id.desc()))
    return db.session.execute(page(query, limit_offset)).all()


def teacher_requests(teacher, status=None, limit_offset=(None, 0)):
    """The requests of the teacher's sessions (``status`` None: all), oldest request first, so
    the ones waiting longest come first."""
    query = _rows().where(ClassSession.teacher_id == teacher.id)
    if status is not None:
        query = query.where(LeaveRequest.status == status)
    query = query.order_by(LeaveRequest.requested_at, LeaveRequest.id)
    return db.session.execute(page(query, limit_offset)).all()


def decide(teacher, request_id, decision, note):
    """The teacher approves (the record becomes excused, the reason kept in its history) or
    refuses (a note required) a pending request of one of their sessions. Returns the id of the
    record it excused (None when refused)."""
    request = db.session.get(LeaveRequest, request_id)
    if request is None:
        raise NotFound("There is no leave request with this id.", code="no_such_request")
    session = db.session.get(ClassSession, request.session_id)
    if session.teacher_id != teacher.id:
        raise Forbidden("This leave request is for another teacher's class.", code="not_yours")
    status = DECISIONS[decision]
    if status == REFUSED and not note:
        raise BadInput("Say why the request is refused: the field note is required.", code="missing_field")
    if request.status != PENDING:
        raise Conflict(f"This request was already {request.status}.", code="already_decided")
    now, record_id = clock.utc_naive(), None
    if status == APPROVED:
        record = db.session.scalar(select(AttendanceRecord).where(AttendanceRecord.session_id == session.id,
                                                                 AttendanceRecord.student_id == request.student_id))
        if record is None:
            raise Conflict("The student is no longer on this class's roster.", code="not_on_roster")
        previous = record.status
        record.status, record.method, record.distance, record.marked_time = "excused", "manual", None, None
        record.late, record.minutes_late = False, None
        audit.record_change(record.id, teacher, "manual", previous, "excused",
                            note=f"Leave request approved: {request.reason}")
        record_id = record.id
    request.status, request.decided_at, request.decided_by, request.teacher_note = status, now, teacher.id, note
    db.session.flush()
    audit.log(f"leave.{status}", teacher, db.session.get(User, request.student_id), session.id,
              detail={"leave_request_id": request.id})
    return record_id


def forget_student(student):
    """Deletes a student's requests (their reasons are personal, often medical): erasure."""
    db.session.execute(delete(LeaveRequest).where(LeaveRequest.student_id == student.id)
                       .execution_options(synchronize_session=False))
