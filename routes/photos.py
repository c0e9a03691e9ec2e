"""The teacher's tools: attendance from class photos, corrections, and the audit trail."""
import base64

from models import STATUSES, TEACHER
from routes import api
from routes.classes import slot
from routes.common import endpoint, local_iso, records_json, settings
from services import attendance
from services.errors import BadInput

MAX_PHOTOS = 5


def _face_json(index, box, match, student, candidates):
    body = {"image_index": index, "box": box.as_dict(), "status": match.decision,
            "student_email_id": student.email if student else None,
            "name": student.name if student else None,
            "distance": round(match.distance, 3) if student else None}
    if match.decision == "needs_review":
        body["candidates"] = [{"student_email_id": candidates[c].email, "name": candidates[c].name,
                               "distance": round(d, 3)} for c, d in match.candidates]
    return body


@endpoint(api, "/mark_class_attendance", role=TEACHER)
def mark_class_attendance(fields, teacher):
    images = fields.images()
    if len(images) > MAX_PHOTOS:
        raise BadInput(f"Send at most {MAX_PHOTOS} photos at once, not {len(images)}.", code="too_many_photos")
    session, candidates, results = attendance.mark_from_photos(
        teacher, slot(fields), images, settings(), annotate=fields.flag("annotate"))
    faces = [_face_json(i, box, match, student, candidates)
             for i, result in enumerate(results) for box, match, student in result.faces]
    present, absent = attendance.session_statuses(session)
    recognised = sum(f["status"] == "matched" for f in faces)
    body = {"SUCCESS": f"{recognised} of {len(faces)} faces recognised; {len(present)} students present.",
            "faces": faces, "present": present, "absent": absent,
            "unknown_faces": sum(f["status"] == "unknown" for f in faces),
            "needs_review": [f for f in faces if f["status"] == "needs_review"]}
    if results and results[0].annotated is not None:
        annotated = [base64.b64encode(r.annotated).decode("ascii") for r in results]
        body["annotated_image"], body["annotated_images"] = annotated[0], annotated
    return body


@endpoint(api, "/set_attendance", role=TEACHER)
def set_attendance(fields, teacher):
    student_email = fields.email("student_email_id", aliases=False)
    status = fields.choice("status", STATUSES)
    note = fields.text("note", required=False, max_length=1000)
    record = attendance.set_status(teacher, slot(fields), student_email, status, note)
    return {"SUCCESS": f"{student_email} is now {status}.",
            "record": records_json([attendance.record_row(record.id)])[0]}


@endpoint(api, "/get_attendance_history", role=TEACHER)
def get_attendance_history(fields, teacher):
    student_email = fields.email("student_email_id", required=False, aliases=False)
    session_slot = slot(fields) if fields.text("class_name", required=False) else None
    if session_slot is None and student_email is None:
        raise BadInput("Name a class session (class_name, class_date, start_time, end_time) "
                       "or a student_email_id.", code="missing_field")
    return [{"class_name": e.class_name, "class_date": e.class_date.isoformat(),
             "start_time": e.starts_at.strftime("%H:%M"), "end_time": e.ends_at.strftime("%H:%M"),
             "student_email_id": e.student_email, "by": e.actor_email, "at": local_iso(e.at),
             "method": e.method, "from_status": e.from_status, "to_status": e.to_status,
             "distance": None if e.distance is None else round(e.distance, 3), "note": e.note}
            for e in attendance.history(teacher, session_slot, student_email, fields.page())]
