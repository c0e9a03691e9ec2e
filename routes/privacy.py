"""A person's own data: export it, erase their faces, erase their account (README Privacy)."""

from models import STUDENT
import routes.answers as a
import routes.declarations as d
from routes.answers import audit_json, export_json, leave_request_json, own_change_json
from routes.common import api_blueprint, endpoint, rules
from routes.limits import throttles
from services import accounts, leave, privacy

bp = api_blueprint("privacy")


@endpoint(bp, "/export_my_data", email_field="email_id", takes=(), returns=a.EXPORT,
          summary="Everything Rollcall keeps about the caller, as JSON (face templates excepted)")
def export_my_data(fields, user):
    body = export_json(user, privacy.export(user))
    if user.role == STUDENT:  # their reasons for leave are theirs too
        body["leave_requests"] = [leave_request_json(r) for r in leave.own_requests(user)]
    return body


@endpoint(bp, "/get_my_faces", role=STUDENT, takes=(), returns=a.MY_FACES,
          summary="How many faces the caller has enrolled, the most allowed, and when each was enrolled")
def get_my_faces(fields, student):
    return a.my_faces_json(accounts.enrollments(student))


@endpoint(bp, "/delete_my_faces", role=STUDENT, takes=(),
          returns=a.FACES_ERASED,
          summary="Erase the caller's face templates")
def delete_my_faces(fields, student):
    removed = privacy.delete_faces(student, student)
    return {"SUCCESS": f"{removed} face templates erased. Selfie check-in needs a face again: enroll one "
                       "with add_face.", "faces_enrolled": 0}


@endpoint(bp, "/delete_my_account", email_field="email_id",
          takes=(d.PASSWD_HASH.but(description="The account's current secret, as login sends it."),),
          returns=a.ERASED, errors=(409, 429), summary="Erase the caller's account, faces and tokens")
def delete_my_account(fields, user):
    password = fields.text("passwd_hash")
    # A stolen token must not become a password oracle: each attempt takes one of the
    # account's login turns before the password is compared, as a login does.
    throttles().login_account.take("delete_account", user.id)
    privacy.check_password(user, password)
    outcome = privacy.erase_user(user, user, rules().erase_attendance)
    return {"SUCCESS": "Your account, faces and tokens are erased.", **outcome}


@endpoint(bp, "/get_my_audit", role=STUDENT, takes=d.PAGE, returns=a.OWN_AUDIT,
          summary="What was done with the caller's data, and every change of their records")
def get_my_audit(fields, student):
    """What was done with the caller's data: recognitions, exports, erasures, admin actions,
    and every change of their attendance records."""
    entries, changes = privacy.own_audit(student, fields.page())
    return {"audit": [audit_json(e) for e in entries], "changes": [own_change_json(c) for c in changes]}
