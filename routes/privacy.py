"""A person's own data: export it, erase their faces, erase their account (README Privacy)."""

from models import STUDENT
from routes.common import api_blueprint, endpoint, local_instant, records_json, rules
from routes.limits import throttles
from routes.admin import audit_json
from services import accounts, privacy

bp = api_blueprint("privacy")

TEMPLATES_LEFT_OUT = ("Face templates are not exported: they are biometric data, a copy outside Rollcall "
                      "could not be revoked, and no other system can use them. Erase them with delete_my_faces.")


@endpoint(bp, "/export_my_data", email_field="email_id")
def export_my_data(fields, user):
    data = privacy.export(user)
    faces, records, history, sessions = data.faces, data.records, data.history, data.sessions
    body = {
        "profile": {"email_id": user.email, "name": user.name, "user_type": user.role, "status": user.status,
                    "create_datetime": local_instant(user.created_at),
                    "last_seen": local_instant(user.last_seen_at) if user.last_seen_at else None},
        "faces": {"count": len(faces), "templates_included": False, "why": TEMPLATES_LEFT_OUT,
                  "enrollments": [{"enrolled_at": local_instant(f.created_at), "source": f.source} for f in faces]},
        "records": records_json(records),
        "history": [{"record_id": e.record_id, "at": local_instant(e.at), "by": e.actor_email, "method": e.method,
                     "from_status": e.from_status, "to_status": e.to_status,
                     "distance": None if e.distance is None else round(e.distance, 3), "note": e.note}
                    for e in history],
        "sessions": [{"class_name": s.class_name, "class_date": s.class_date.isoformat(),
                      "start_time": s.starts_at.strftime("%H:%M"), "end_time": s.ends_at.strftime("%H:%M"),
                      "create_datetime": local_instant(s.created_at), "roster_size": s.roster_size}
                     for s in sessions],
        "roster_changes": [{**_slot_json(c), "action": c.action, "by": c.actor_email, "at": local_instant(c.at),
                            "from_status": c.from_status, "note": c.note} for c in data.roster_changes],
        "invitations": [{**_slot_json(i), "invited_at": local_instant(i.created_at)} for i in data.invitations],
        "audit": [audit_json(e) for e in data.audit],
        "mentions": [{"table": m.table, "column": m.column, "text": m.text} for m in data.mentions],
    }
    if user.role == STUDENT:
        body["teachers"] = [{"email_id": t.email, "name": t.name} for t in accounts.teachers_of(user)]
    return body


def _slot_json(row):
    return {"class_name": row.class_name, "class_date": row.starts_at.date().isoformat(),
            "start_time": row.starts_at.strftime("%H:%M"), "end_time": row.ends_at.strftime("%H:%M")}


@endpoint(bp, "/delete_my_faces", role=STUDENT)
def delete_my_faces(fields, student):
    removed = privacy.delete_faces(student, student)
    return {"SUCCESS": f"{removed} face templates erased. Selfie check-in needs a face again: enroll one "
                       "with add_face.", "faces_enrolled": 0}


@endpoint(bp, "/delete_my_account", email_field="email_id")
def delete_my_account(fields, user):
    password = fields.text("passwd_hash", max_length=1024)
    # A stolen token must not become a password oracle: each attempt takes one of the
    # account's login turns before the password is compared, as a login does.
    throttles().login_account.take("delete_account", user.id)
    privacy.check_password(user, password)
    outcome = privacy.erase_user(user, user, rules().erase_attendance)
    return {"SUCCESS": "Your account, faces and tokens are erased.", **outcome}


@endpoint(bp, "/get_my_audit", role=STUDENT)
def get_my_audit(fields, student):
    """What was done with the caller's data: recognitions, exports, erasures, admin actions,
    and every change of their attendance records."""
    entries, changes = privacy.own_audit(student, fields.page())
    return {"audit": [audit_json(e) for e in entries],
            "changes": [{"class_name": c.class_name, "class_date": c.starts_at.date().isoformat(),
                         "start_time": c.starts_at.strftime("%H:%M"), "end_time": c.ends_at.strftime("%H:%M"),
                         "by": c.actor_email, "at": local_instant(c.at), "method": c.method,
                         "from_status": c.from_status, "to_status": c.to_status,
                         "distance": None if c.distance is None else round(c.distance, 3), "note": c.note}
                        for c in changes]}
