"""The door kiosk's one call: a camera frame in, who it is (among the session's roster) out."""
from models import TEACHER
import routes.declarations as d
from routes.common import api_blueprint, endpoint, rules
from routes.limits import throttles
from services import kiosk

bp = api_blueprint("kiosk")

FRAME = d.IMAGE_FILE.but(description="One camera frame (JPEG or PNG; 640x480 is plenty): a file part, or a "
                         "base64 string (a data: URL prefix is accepted). It is not kept.")

KIOSK_CHECK_IN = d.Schema("KioskCheckIn", d.obj({
    "status": {"type": "string", "enum": list(kiosk.STATUSES),
               "description": "marked: recognised and marked present now; already_marked: recognised, its "
                              "record already had a status; review: close to a roster student but not sure "
                              "enough, nobody marked; unknown: nobody on the roster; no_face: no face found"},
    "student_email_id": {**d.nullable(d.EMAIL), "description": "when marked or already_marked, else null"},
    "name": {**d.nullable(d.STRING), "description": "the student's name when marked or already_marked, else null"},
}))


@endpoint(bp, "/kiosk_check_in", role=TEACHER, takes=(*d.SLOT, FRAME), returns=KIOSK_CHECK_IN,
          errors=(404, 409, 429),
          summary="Door kiosk: recognise the largest face among the session's roster and mark it present")
def kiosk_check_in(fields, teacher):
    result = kiosk.check_in(teacher, fields.slot(), fields.image(), rules(), throttles().kiosk_frames)
    student = result.student
    return {"status": result.status, "student_email_id": student.email if student else None,
            "name": student.name if student else None}
