"""Attendance from photographs of the room."""
import base64

from models import TEACHER
from routes.common import api_blueprint, endpoint, rules
from services import class_photos
from services.errors import BadInput

bp = api_blueprint("class_photos")

MAX_PHOTOS = 5


def _face_json(index, box, match, student, students):
    body = {"image_index": index, "box": box.as_dict(), "status": match.decision,
            "student_email_id": student.email if student else None,
            "name": student.name if student else None,
            "distance": round(match.distance, 3) if student else None}
    if match.decision == "needs_review":
        body["candidates"] = [{"student_email_id": students[sid].email, "name": students[sid].name,
                               "distance": round(d, 3)} for sid, d in match.candidates]
    return body


@endpoint(bp, "/mark_class_attendance", role=TEACHER)
def mark_class_attendance(fields, teacher):
    images = fields.images()
    if len(images) > MAX_PHOTOS:
        raise BadInput(f"Send at most {MAX_PHOTOS} photos at once, not {len(images)}.", code="too_many_photos")
    session, students, results = class_photos.mark_from_photos(
        teacher, fields.slot(), images, rules(), annotate_photos=fields.flag("annotate"))
    faces = [_face_json(i, box, match, student, students)
             for i, result in enumerate(results) for box, match, student in result.faces]
    present, absent = class_photos.session_statuses(session)
    recognised = sum(f["status"] == "matched" for f in faces)
    message = f"{recognised} of {len(faces)} faces recognised; {len(present)} students present."
    if not present and not absent:
        message = ("This session's roster is empty, so nobody can be recognised: faces are only compared "
                   "with the students on the roster. Add the class's students to the session first.")
    body = {"SUCCESS": message, "roster_empty": not present and not absent, "faces": faces, "present": present, "absent": absent,
            "unknown_faces": sum(f["status"] == "unknown" for f in faces),
            "needs_review": [f for f in faces if f["status"] == "needs_review"]}
    if results and results[0].annotated is not None:
        annotated = [base64.b64encode(r.annotated).decode("ascii") for r in results]
        body["annotated_image"], body["annotated_images"] = annotated[0], annotated
    return body
