"""The door kiosk: a tablet by the door, opened by the teacher for one session, sends camera
frames; the largest face in each is recognised among that session's roster only, with the
class photo's rules, and a recognised student is marked present (method ``kiosk``).

Nothing of the frame is kept: it is decoded, its face encoded and compared, and dropped.
"""
from dataclasses import dataclass

from sqlalchemy import select

from models import AttendanceRecord, User, db
from services import audit, faces, timing
from services.sessions import check_open, lateness, mark_present, teacher_session, templates

# What a frame came to: the page shows a name for the first two, and a plain message otherwise.
MARKED, ALREADY_MARKED, REVIEW, UNKNOWN, NO_FACE = "marked", "already_marked", "review", "unknown", "no_face"
STATUSES = (MARKED, ALREADY_MARKED, REVIEW, UNKNOWN, NO_FACE)


@dataclass(frozen=True)
class KioskResult:
    """``student`` only when the face was recognised (marked now or before), else None;
    ``record_id`` the student's record then."""
    status: str
    student: User | None = None
    record_id: int | None = None


def check_in(teacher, slot, frame, rules, frames_limit):
    """Recognises the largest face of ``frame`` among the roster of the teacher's session named by
    ``slot`` and marks that student present; never unmarks or changes a status already set.

    Refuses before any face work: another teacher's session (403), outside the selfie check-in
    window (409), more frames than ``frames_limit`` (a services.limits.Limit, per session) allows.
    A face in the review band (PHOTO_REVIEW_BAND) marks nobody and names nobody: at a door,
    nobody is there to settle it, so the student is sent to the teacher as an unknown face is.
    """
    session = teacher_session(teacher, slot)
    check_open(session, rules)
    frames_limit.take(session.id)
    encoding = faces.kiosk_encoding(frame, rules.max_selfie_pixels)
    if encoding is None:
        return KioskResult(NO_FACE)
    with timing.phase("database"):
        record_of = dict(db.session.execute(
            select(AttendanceRecord.student_id, AttendanceRecord.id)
            .where(AttendanceRecord.session_id == session.id)).all())
        # Only the roster's templates are read: a face outside the roster has nobody to match.
        owners, known = templates(list(record_of), rules.face_key, unreadable=[])  # skipped, logged
    with timing.phase("match"):
        [match] = faces.assign([encoding], owners, known, rules.photo_tolerance, rules.photo_review_band,
                               rules.photo_margin)
    if match.decision == "needs_review":
        return KioskResult(REVIEW)
    if match.decision != "matched":
        return KioskResult(UNKNOWN)
    with timing.phase("database"):
        student = db.session.get(User, match.candidate)
        marked_time = mark_present(record_of[student.id], teacher, "kiosk", match.distance,
                                   lateness(session.starts_at, rules))
        # Audited as a class photo's recognition is, repeats too: each one tells whoever stands at
        # the kiosk that this student is here.
        audit.log("recognition", teacher, student, session.id, match.distance, detail={"method": "kiosk"})
    return KioskResult(MARKED if marked_time is not None else ALREADY_MARKED, student, record_of[student.id])
