"""The school's administrators: accounts and the audit log (TEACHER_SIGNUP, README Privacy)."""
import json

from models import ADMIN, TEACHER, USER_STATUSES
from routes.common import api_blueprint, endpoint, local_instant, rules
from services import admin, audit, privacy
from services.errors import BadInput, Conflict

bp = api_blueprint("admin")


def user_json(user, faces=None):
    body = {"email_id": user.email, "name": user.name, "user_type": user.role, "status": user.status,
            "create_datetime": local_instant(user.created_at),
            "last_seen": local_instant(user.last_seen_at) if user.last_seen_at else None}
    if faces is not None:
        body["faces_enrolled"] = faces
    return body


def target(fields):
    """The account an admin call is about: user_email_id and user_type (0 student, 1 teacher, 2 admin)."""
    email = fields.email("user_email_id", aliases=False)
    role = fields.integer("user_type", minimum=0, maximum=2)
    if role is None:
        raise BadInput("The field user_type is required (0 student, 1 teacher, 2 admin).", code="missing_field")
    return admin.find_user(email, role)


def audit_json(e):
    return {"at": local_instant(e.at), "kind": e.kind, "actor_email_id": e.actor_email, "actor_type": e.actor_role,
            "subject_email_id": e.subject_email, "subject_type": e.subject_role,
            "class_name": e.class_name,
            "class_date": e.starts_at.date().isoformat() if e.starts_at else None,
            "start_time": e.starts_at.strftime("%H:%M") if e.starts_at else None,
            "end_time": e.ends_at.strftime("%H:%M") if e.ends_at else None,
            "distance": None if e.distance is None else round(e.distance, 3),
            "detail": json.loads(e.detail) if e.detail else None}


@endpoint(bp, "/admin_list_users", role=ADMIN, email_field="email_id")
def admin_list_users(fields, caller):
    role = fields.integer("user_type", minimum=0, maximum=2)
    status = fields.choice("status", USER_STATUSES, required=False)
    users = [user_json(u, faces) for u, faces in admin.list_users(role, status, fields.page())]
    audit.log("admin.list_users", caller, detail={"user_type": role, "status": status, "listed": len(users)})
    return users


@endpoint(bp, "/admin_set_user_status", role=ADMIN, email_field="email_id")
def admin_set_user_status(fields, caller):
    action = fields.choice("action", tuple(admin.ACTIONS))
    user = admin.set_status(caller, target(fields), action)
    return {"SUCCESS": f"{user.email} is now {user.status}.", "user": user_json(user)}


@endpoint(bp, "/admin_create_teacher", role=ADMIN, email_field="email_id")
def admin_create_teacher(fields, caller):
    email = fields.email("user_email_id", aliases=False)
    name = fields.text("name", max_length=200, aliases=False)
    password = fields.text("passwd_hash", max_length=1024)
    user = admin.create_account(caller, TEACHER, email, name, password, rules().password_method)
    return {"SUCCESS": f"Teacher {email} created; they can log in now.", "user": user_json(user)}


@endpoint(bp, "/admin_audit_log", role=ADMIN, email_field="email_id")
def admin_audit_log(fields, caller):
    actor = subject = None
    if fields.text("actor_email_id", required=False, aliases=False):
        actor = admin.find_user(fields.email("actor_email_id", aliases=False),
                                fields.integer("actor_type", default=TEACHER, minimum=0, maximum=2))
    if fields.text("subject_email_id", required=False, aliases=False):
        subject = admin.find_user(fields.email("subject_email_id", aliases=False),
                                  fields.integer("subject_type", default=0, minimum=0, maximum=2))
    kind = fields.text("kind", required=False, max_length=40, aliases=False)
    entries = [audit_json(e) for e in audit.entries(actor.id if actor else None, subject.id if subject else None,
                                                    kind, fields.page())]
    audit.log("admin.read_audit", caller, subject,
              detail={"kind": kind, "actor": actor.id if actor else None, "read": len(entries)})
    return entries


@endpoint(bp, "/admin_erase_user", role=ADMIN, email_field="email_id")
def admin_erase_user(fields, caller):
    user = target(fields)
    if user.id == caller.id:
        raise Conflict("Erase your own account with delete_my_account.", code="own_account")
    outcome = privacy.erase_user(user, caller, rules().erase_attendance)
    return {"SUCCESS": "The account, its faces and tokens are erased.", "placeholder_email_id": user.email,
            **outcome}


@endpoint(bp, "/admin_transfer_sessions", role=ADMIN, email_field="email_id")
def admin_transfer_sessions(fields, caller):
    """Hands a (former) teacher's sessions, with their records, to another teacher."""
    from_teacher = admin.find_user(fields.email("from_email_id", aliases=False), TEACHER)
    to_teacher = admin.find_user(fields.email("to_email_id", aliases=False), TEACHER)
    moved = privacy.transfer_sessions(caller, from_teacher, to_teacher)
    return {"SUCCESS": f"{moved} sessions now belong to {to_teacher.email}.", "sessions": moved}
