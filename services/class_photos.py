"""Attendance from photographs of the room: every recognised roster student is marked present."""
import base64

from sqlalchemy import select

from models import AttendanceRecord, User, db
from services import audit, clock, faces, timing, webhooks
from services.faces.annotation import annotate
from services.errors import Conflict
from services.sessions import mark_present, opens_at, teacher_session, templates


class PhotoResult:
    """One photo's faces: [(Box, faces.Match, User or None)], and its annotated JPEG if asked."""

    def __init__(self, faces_found, annotated=None):
        self.faces, self.annotated = faces_found, annotated


def open_session(teacher, slot, rules):
    """The teacher's session named by ``slot``, once its marking has begun (else not_open)."""
    session = teacher_session(teacher, slot)
    if clock.local_naive(rules.timezone) < opens_at(session, rules.grace_minutes):
        raise Conflict(f"This class starts at {session.starts_at:%Y-%m-%d %H:%M}; "
                       "photograph the room once it has begun.", code="not_open")
    return session


def mark_from_photos(teacher, slot, images, rules, annotate_photos=False, progress=None):
    """Marks present every roster student recognised in the photos; never unmarks anyone.

    Faces are compared with the session's roster only, so an answer never names anyone
    else; an empty roster recognises nobody. Each student marked is an attendance.marked
    event. Returns (session, {student id: User} of the roster students with a face enrolled,
    [PhotoResult], ids of roster students whose templates no key opened); each Match's
    candidates are student ids. ``progress(photos done, faces found so far)`` is called after
    each photo.
    """
    session = open_session(teacher, slot, rules)
    with timing.phase("database"):
        roster = {r.student_id: r for r in db.session.scalars(
            select(AttendanceRecord).where(AttendanceRecord.session_id == session.id))}
        unreadable = []  # a template no key opens skips that student, never the class
        owners, known = templates(list(roster), rules.face_key, unreadable)
        students = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(set(owners))))} \
            if owners else {}
    results, marked = [], []
    for image in images:
        pixels, boxes, encodings = faces.room_encodings(image, rules.max_image_pixels, keep_pixels=annotate_photos)
        with timing.phase("match"):
            matches = faces.assign(encodings, owners, known, rules.photo_tolerance, rules.photo_review_band,
                                   rules.photo_margin)
        found = [(box, m, students[m.candidate] if m.decision == "matched" else None)
                 for box, m in zip(boxes, matches)]
        with timing.phase("database"):
            for _, match, student in found:
                if student is not None:
                    record = roster[student.id]
                    if mark_present(record.id, teacher, "photo", match.distance) is not None:
                        marked.append(record.id)
                    audit.log("recognition", teacher, student, session.id, match.distance)
                else:  # a teacher shown a candidate has learned something about that student too
                    for candidate, distance in match.candidates:
                        audit.log("recognition.candidate", teacher, students[candidate], session.id, distance)
        results.append(PhotoResult(found, _annotation(pixels, found, students) if annotate_photos else None))
        if progress is not None:
            progress(len(results), sum(len(r.faces) for r in results))
    webhooks.emit_records("attendance.marked", marked)
    db.session.flush()
    return session, students, results, unreadable


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


def _face_json(index, box, match, student, students):
    body = {"image_index": index, "box": box.as_dict(), "status": match.decision,
            "student_email_id": student.email if student else None,
            "name": student.name if student else None,
            "distance": round(match.distance, 3) if student else None}
    if match.decision == "needs_review":
        body["candidates"] = [{"student_email_id": students[sid].email, "name": students[sid].name,
                               "distance": round(d, 3)} for sid, d in match.candidates]
    return body


def report(session, students, results, unreadable=()):
    """The answer to a class photo, the same whether it ran in the request or as a job.
    ``unreadable``: roster students whose face templates no key opened (not matched)."""
    faces_json = [_face_json(i, box, match, student, students)
                  for i, result in enumerate(results) for box, match, student in result.faces]
    present, absent = session_statuses(session)
    recognised = sum(f["status"] == "matched" for f in faces_json)
    message = f"{recognised} of {len(faces_json)} faces recognised; {len(present)} students present."
    roster_empty = not present and not absent
    if roster_empty:
        message = ("This session's roster is empty, so nobody can be recognised: faces are only compared "
                   "with the students on the roster. Add the class's students to the session first.")
    body = {"SUCCESS": message, "roster_empty": roster_empty,
            "faces": faces_json, "present": present, "absent": absent,
            "unknown_faces": sum(f["status"] == "unknown" for f in faces_json),
            "needs_review": [f for f in faces_json if f["status"] == "needs_review"]}
    if unreadable:
        body["unreadable_faces"] = sorted(db.session.scalars(select(User.email).where(User.id.in_(unreadable))))
        body["SUCCESS"] += (f" {len(unreadable)} students' enrolled faces could not be read (the server's face "
                            "key); they were not looked for.")
    if results and results[0].annotated is not None:
        annotated = [base64.b64encode(r.annotated).decode("ascii") for r in results]
        body["annotated_image"], body["annotated_images"] = annotated[0], annotated
    return body
