"""Invitations claimed with proof (VERIFY_INVITED_EMAILS), a student's guardian address, and the
mail outbox as an administrator sees it."""
from flask import current_app

from models import ADMIN, MAIL_STATUSES, STUDENT, TEACHER
import routes.answers as a
import routes.declarations as d
from routes.answers import mail_json
from routes.common import endpoint, api_blueprint, rules
from services import claim_codes, claims, mail
from services.errors import Forbidden

MAIL_STATUS = d.Field("status", "choice", "Only mail with this status: pending, sent or failed.", "failed",
                      required=False, options=MAIL_STATUSES, max_length=d.MAX_CHOICE)

bp = api_blueprint("claims")

CODE = d.Field("code", description="The 6-digit code mailed to the student's address.", example="492817",
               max_length=20)
INVITED_EMAIL = d.Field("invited_email_id", "email", "The student account whose address the caller vouches for "
                        "(a teacher: one their roster invited).", d.STUDENT_EMAIL, max_length=d.MAX_EMAIL)
GUARDIAN_EMAIL = d.Field("guardian_email", "email", "The guardian's address for the weekly low-attendance "
                         "notice; blank or absent: none.", "parent@home.test", required=False,
                         max_length=d.MAX_EMAIL)


def _proven(student_email, joined):
    return {"SUCCESS": f"Address proven; {len(joined)} class sessions joined.", "student_email_id": student_email,
            "sessions_joined": len(joined)}


@endpoint(bp, "/request_email_code", role=STUDENT, takes=(), returns=a.SUCCESS, errors=(409, 429),
          summary="Mail a one-time code to the student's address, to join the rosters that invited it")
def request_email_code(fields, student):
    claims.request_code(student, rules())
    return {"SUCCESS": f"A code is on its way to {student.email}; it is valid "
                       f"{int(claim_codes.CODE_TTL.total_seconds() // 60)} minutes."}


@endpoint(bp, "/submit_email_code", role=STUDENT, takes=(CODE,), returns=a.EMAIL_PROVEN, errors=(409, 429),
          summary="Prove the student's address with the mailed code; the rosters that invited it take them in")
def submit_email_code(fields, student):
    code = fields.text("code").strip()
    joined = claims.submit_code(student, code, rules(), current_app.config["SECRET_KEY"])
    return _proven(student.email, joined)


@endpoint(bp, "/confirm_student_email", email_field="email_id", takes=(INVITED_EMAIL,), returns=a.EMAIL_PROVEN,
          errors=(403, 404, 409),
          summary="A teacher who invited the address, or an administrator, vouches for a student's address")
def confirm_student_email(fields, caller):
    if caller.role not in (TEACHER, ADMIN):
        raise Forbidden("Only the inviting teacher or an administrator can confirm an address.", code="wrong_role")
    student, joined = claims.confirm(caller, fields.email("invited_email_id"), rules())
    return _proven(student.email, joined)


@endpoint(bp, "/get_students_awaiting_proof", email_field="email_id", takes=d.PAGE,
          returns=a.array(a.AWAITING_PROOF), errors=(403,),
          summary="Students whose invited address awaits proof: a teacher's invitations, or all for an admin")
def get_students_awaiting_proof(fields, caller):
    if caller.role not in (TEACHER, ADMIN):
        raise Forbidden("Only teachers and administrators see who awaits proof.", code="wrong_role")
    return [{"student_email_id": r.email, "name": r.name, "create_datetime": a.local_instant(r.created_at),
             "invited_sessions": r.sessions} for r in claims.awaiting(caller, fields.page())]


@endpoint(bp, "/set_guardian_email", role=STUDENT, takes=(GUARDIAN_EMAIL,), returns=a.GUARDIAN,
          summary="Name (or, blank, remove) the guardian who also gets the weekly low-attendance notice")
def set_guardian_email(fields, student):
    guardian = fields.email("guardian_email", required=False)
    mail.set_guardian(student.email, guardian)
    return {"SUCCESS": "Guardian's address saved." if guardian else "No guardian's address is kept now.",
            "guardian_email": guardian}


@endpoint(bp, "/admin_list_mail", role=ADMIN, email_field="email_id", takes=(MAIL_STATUS, *d.PAGE),
          returns=a.array(a.MAIL), summary="The mail outbox, newest first, with each mail's outcome (never a code)")
def admin_list_mail(fields, caller):
    return [mail_json(m) for m in mail.outbox(fields.choice("status"), fields.page())]
