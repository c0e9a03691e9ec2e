"""Attendance from photographs of the room, answered at once or (``async=1``) as a job."""
from flask import current_app

from models import TEACHER
import routes.answers as a
import routes.declarations as d
from routes.common import api_blueprint, endpoint, rules
from services import class_photos
from services.errors import BadInput

bp = api_blueprint("class_photos")

MAX_PHOTOS = 5


def _jobs():
    return current_app.extensions["photo_jobs"]  # jobs.PhotoJobs


PHOTOS = d.IMAGE_FILE.but(description=f"One to {MAX_PHOTOS} photos of the room: repeat the image_file part, "
                          "or send base64 strings (a list in JSON).", max_items=MAX_PHOTOS)


@endpoint(bp, "/mark_class_attendance", role=TEACHER, takes=(*d.SLOT, PHOTOS, d.ANNOTATE, d.ASYNC),
          returns=a.CLASS_PHOTO, accepted=a.PHOTO_JOB_QUEUED, errors=(404, 409, 429),
          summary="Recognise the room: mark every roster face")
def mark_class_attendance(fields, teacher):
    images = fields.images()
    if len(images) > MAX_PHOTOS:
        raise BadInput(f"Send at most {MAX_PHOTOS} photos at once, not {len(images)}.", code="too_many_photos")
    if fields.flag("async"):
        job = _jobs().submit(teacher, fields.slot(), images, rules(), fields.flag("annotate"))
        return {"SUCCESS": "The photos are queued; ask get_photo_job for progress and the result.", **job}, 202
    session, students, results, unreadable = class_photos.mark_from_photos(
        teacher, fields.slot(), images, rules(), annotate_photos=fields.flag("annotate"))
    return class_photos.report(session, students, results, unreadable)


@endpoint(bp, "/get_photo_job", role=TEACHER, takes=(d.JOB_ID,), returns=a.PHOTO_JOB, errors=(404,),
          summary="A class-photo job's progress, then its result or what stopped it")
def get_photo_job(fields, teacher):
    return _jobs().view(teacher, fields.text("job_id"))
