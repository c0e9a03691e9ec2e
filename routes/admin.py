"""The school's administrators: accounts and the audit log (TEACHER_SIGNUP, README Privacy)."""
from models import ADMIN, TEACHER, USER_STATUSES
import routes.answers as a
import routes.declarations as d
from routes.answers import audit_json, user_json
from routes.common import api_blueprint, endpoint, rules
from services import admin, audit, privacy
from services.errors import BadInput, Conflict

bp = api_blueprint("admin")

# The account an admin call is about.
TARGET = (d.USER_EMAIL_ID, d.ACCOUNT_TYPE)


def target(fields):
    """The account an admin call is about: user_email_id and user_type (0 student, 1 teacher, 2 admin)."""
    email = fields.email("user_email_id")
    role = fields.integer("user_type")
    if role is None:
        raise BadInput("The field user_type is required (0 student, 1 teacher, 2 admin).", code="missing_field")
    return admin.find_user(email, role)


LIST_TYPE = d.ACCOUNT_TYPE.but(required=False, description="Only accounts of this type: 0 student, 1 teacher, "
                               "2 admin.")
LIST_STATUS = d.Field("status", "choice", "Only accounts with this status.", "pending_approval", required=False,
                      options=USER_STATUSES, max_length=d.MAX_CHOICE)
ACTION = d.Field("action", "choice", "approve (a teacher awaiting approval), suspend or reactivate.", "approve",
                 options=tuple(admin.ACTIONS), max_length=d.MAX_CHOICE)


@endpoint(bp, "/admin_list_users", role=ADMIN, email_field="email_id", takes=(LIST_TYPE, LIST_STATUS, *d.PAGE),
          returns=a.array(a.USER), summary="The accounts, with how many faces each has enrolled")
def admin_list_users(fields, caller):
    role = fields.integer("user_type")
    status = fields.choice("status")
    users = [user_json(u, faces) for u, faces in admin.list_users(role, status, fields.page())]
    audit.log("admin.list_users", caller, detail={"user_type": role, "status": status, "listed": len(users)})
    return users


@endpoint(bp, "/admin_set_user_status", role=ADMIN, email_field="email_id", takes=(*TARGET, ACTION),
          returns=a.USER_CHANGED, errors=(404, 409), summary="Approve, suspend or reactivate an account")
def admin_set_user_status(fields, caller):
    action = fields.choice("action")
    user = admin.set_status(caller, target(fields), action)
    return {"SUCCESS": f"{user.email} is now {user.status}.", "user": user_json(user)}


@endpoint(bp, "/admin_create_teacher", role=ADMIN, email_field="email_id",
          takes=(d.USER_EMAIL_ID.but(description="The new teacher's email address.", example="new.teacher@school.test"),
                 d.NEW_TEACHER_NAME, d.PASSWD_HASH.but(description="The new teacher's first secret, as login "
                                                       "will send it.")),
          returns=a.USER_CHANGED, errors=(409,), summary="Create an active teacher account (without a face)")
def admin_create_teacher(fields, caller):
    email = fields.email("user_email_id")
    name = fields.text("name")
    password = fields.text("passwd_hash")
    user = admin.create_account(caller, TEACHER, email, name, password, rules().password_method)
    return {"SUCCESS": f"Teacher {email} created; they can log in now.", "user": user_json(user)}


@endpoint(bp, "/admin_audit_log", role=ADMIN, email_field="email_id",
          takes=(d.ACTOR_EMAIL_ID, d.ACTOR_TYPE, d.SUBJECT_EMAIL_ID, d.SUBJECT_TYPE, d.AUDIT_KIND, *d.PAGE),
          returns=a.array(a.AUDIT_ENTRY), errors=(404,), summary="The audit log, newest first")
def admin_audit_log(fields, caller):
    actor = subject = None
    if fields.given("actor_email_id"):
        actor = admin.find_user(fields.email("actor_email_id"), fields.integer("actor_type", default=TEACHER))
    if fields.given("subject_email_id"):
        subject = admin.find_user(fields.email("subject_email_id"), fields.integer("subject_type", default=0))
    kind = fields.text("kind")
    entries = [audit_json(e) for e in audit.entries(actor.id if actor else None, subject.id if subject else None,
                                                    kind, fields.page())]
    audit.log("admin.read_audit", caller, subject,
              detail={"kind": kind, "actor": actor.id if actor else None, "read": len(entries)})
    return entries


@endpoint(bp, "/admin_erase_user", role=ADMIN, email_field="email_id", takes=TARGET, returns=a.ERASED,
          errors=(404, 409), summary="Erase an account, its faces and tokens")
def admin_erase_user(fields, caller):
    user = target(fields)
    if user.id == caller.id:
        raise Conflict("Erase your own account with delete_my_account.", code="own_account")
    outcome = privacy.erase_user(user, caller, rules().erase_attendance)
    return {"SUCCESS": "The account, its faces and tokens are erased.", "placeholder_email_id": user.email,
            **outcome}


@endpoint(bp, "/admin_transfer_sessions", role=ADMIN, email_field="email_id", takes=(d.FROM_TEACHER, d.TO_TEACHER),
          returns=a.SESSIONS_MOVED,
          errors=(404, 409), summary="Hand a (former) teacher's sessions, with their records, to another teacher")
def admin_transfer_sessions(fields, caller):
    """Hands a (former) teacher's sessions, with their records, to another teacher."""
    from_teacher = admin.find_user(fields.email("from_email_id"), TEACHER)
    to_teacher = admin.find_user(fields.email("to_email_id"), TEACHER)
    moved = privacy.transfer_sessions(caller, from_teacher, to_teacher)
    return {"SUCCESS": f"{moved} sessions now belong to {to_teacher.email}.", "sessions": moved}
