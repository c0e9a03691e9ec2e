"""Attendance from photographs of the room: every recognised roster student is marked present."""
from sqlalchemy import select

from models import AttendanceRecord, User, db
from services import audit, clock, faces, timing
from services.annotation import annotate
from services.errors import Conflict
from services.sessions import mark_present, opens_at, teacher_session, templates


class PhotoResult:
    """One photo's faces: [(Box, faces.Match, User or None)], and its annotated JPEG if asked."""

    def __init__(self, faces_found, annotated=None):
        self.faces, self.annotated = faces_found, annotated


def mark_from_photos(teacher, slot, images, rules, annotate_photos=False):
    """Marks present every roster student recognised in the photos; never unmarks anyone.

    Faces are compared with the session's roster only, so an answer never names anyone
    else; an empty roster recognises nobody. Returns (session, {student id: User} of the
    roster students with a face enrolled, [PhotoResult]); each Match's candidates are
    student ids.
    """
    session = teacher_session(teacher, slot)
    if clock.local_naive(rules.timezone) < opens_at(session, rules.grace_minutes):
        raise Conflict(f"This class starts at {session.starts_at:%Y-%m-%d %H:%M}; "
                       "photograph the room once it has begun.", code="not_open")
    with timing.phase("database"):
        roster = {r.student_id: r for r in db.session.scalars(
            select(AttendanceRecord).where(AttendanceRecord.session_id == session.id))}
        owners, known = templates(list(roster), rules.face_key)
        students = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(set(owners))))} \
            if owners else {}
    results = []
    for image in images:
        pixels, boxes, encodings = faces.room_encodings(image, rules.max_image_pixels)
        with timing.phase("match"):
            matches = faces.assign(encodings, owners, known, rules.photo_tolerance, rules.photo_review_band,
                                   rules.photo_margin)
        found = [(box, m, students[m.candidate] if m.decision == "matched" else None)
                 for box, m in zip(boxes, matches)]
        with timing.phase("database"):
            for _, match, student in found:
                if student is not None:
                    record = roster[student.id]
                    mark_present(record.id, teacher, "photo", match.distance)
                    audit.log("recognition", teacher, student, session.id, match.distance)
                else:  # a teacher shown a candidate has learned something about that student too
                    for candidate, distance in match.candidates:
                        audit.log("recognition.candidate", teacher, students[candidate], session.id, distance)
        results.append(PhotoResult(found, _annotation(pixels, found, students) if annotate_photos else None))
    db.session.flush()
    return session, students, results


def _annotation(pixels, found, students):
    labelled = []
    for box, match, student in found:
        if student is not None:
            label = student.name
        elif match.candidates:
            label = "? " + students[match.candidates[0][0]].name
        else:
            label = "unknown"
        labelled.append((box, match.decision, label))
    return annotate(pixels, labelled)


def session_statuses(session):
    """(present students, students not present) of a session, by email."""
    rows = db.session.execute(select(User.email, AttendanceRecord.status)
                              .join(AttendanceRecord, AttendanceRecord.student_id == User.id)
                              .where(AttendanceRecord.session_id == session.id).order_by(User.email)).all()
    return [r.email for r in rows if r.status == "present"], [r.email for r in rows if r.status != "present"]
