"""The door kiosk's one call: a camera frame in, who it is (among the session's roster) out."""
import routes.answers as a
import routes.declarations as d
from models import TEACHER
from routes.common import api_blueprint, endpoint, rules
from routes.limits import throttles
from services import kiosk, webhooks

bp = api_blueprint("kiosk")

FRAME = d.IMAGE_FILE.but(description="One camera frame (JPEG or PNG; 640x480 is plenty): a file part, or a "
                         "base64 string (a data: URL prefix is accepted). It is not kept.")


@endpoint(bp, "/kiosk_check_in", role=TEACHER, takes=(*d.SLOT, FRAME), returns=a.KIOSK_CHECK_IN,
          errors=(404, 409, 429),
          summary="Door kiosk: recognise the largest face among the session's roster and mark it present")
def kiosk_check_in(fields, teacher):
    result = kiosk.check_in(teacher, fields.slot(), fields.image(), rules(), throttles().kiosk_frames)
    if result.status == kiosk.MARKED:
        webhooks.emit_records("attendance.marked", [result.record_id])
    return a.kiosk_json(result)
