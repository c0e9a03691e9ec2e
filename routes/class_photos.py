"""Attendance from photographs of the room."""
import base64

from models import TEACHER
import routes.declarations as d
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


PHOTOS = d.IMAGE_FILE.but(description=f"One to {MAX_PHOTOS} photos of the room: repeat the image_file part, "
                          "or send base64 strings (a list in JSON).", max_items=MAX_PHOTOS)


@endpoint(bp, "/mark_class_attendance", role=TEACHER, takes=(*d.SLOT, PHOTOS, d.ANNOTATE),
          returns=d.CLASS_PHOTO, errors=(404, 409), summary="Recognise the room: mark every roster face")
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
    body = {"SUCCESS": f"{recognised} of {len(faces)} faces recognised; {len(present)} students present.",
            "faces": faces, "present": present, "absent": absent,
            "unknown_faces": sum(f["status"] == "unknown" for f in faces),
            "needs_review": [f for f in faces if f["status"] == "needs_review"]}
    if results and results[0].annotated is not None:
        annotated = [base64.b64encode(r.annotated).decode("ascii") for r in results]
        body["annotated_image"], body["annotated_images"] = annotated[0], annotated
    return body
