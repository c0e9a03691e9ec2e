"""A person's own data: export, erasure of faces or of the whole account, retention.

Erasure keeps the school's register: the account's row stays, scrubbed of every personal
detail (email, name, password, faces, tokens), so records and counts do not change. A
student's records are deleted instead when ERASE_ATTENDANCE is set; a teacher's sessions
wait under "former teacher" until an admin transfers them.

Every other row that names the person is found by its text, in every text column of every
table (``mentions``), so a table added later is covered without a change here: invitations
to their address are deleted, and elsewhere (roster changes, notes, audit details, reviews)
the address and the name become the placeholder's. A name is matched as a whole word, and
only from MIN_NAME_MATCH characters on: a shorter one is as likely a word of someone
else's note. The export shows the same rows.
"""
import json
import re
from datetime import timedelta
from types import SimpleNamespace

from sqlalchemy import String, Text, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash

from models import (STUDENT, TEACHER, AttendanceEvent, AttendanceRecord, Base, ClassSession, FaceEncoding,
                    RosterEvent, RosterInvitation, Token, User, db)
from services import accounts, admin, audit, claims, clock, leave, sealing
from services.errors import Conflict, Unauthorized
from services.records import page, record_rows

PLAIN_TEMPLATE_BYTES = 128 * 8
MIN_NAME_MATCH = 4
ERASED_DOMAIN = "erased.invalid"  # .invalid can never be a real address (RFC 2606)


def placeholder(user):
    """(email, name) an erased account keeps: no personal data, unique per account."""
    if user.role == TEACHER:
        return f"former-teacher-{user.id}@{ERASED_DOMAIN}", "former teacher"
    kind = "student" if user.role == STUDENT else "admin"
    return f"erased-{kind}-{user.id}@{ERASED_DOMAIN}", f"erased {kind} {user.id}"


def check_password(user, password):
    if not check_password_hash(user.password_hash, password):
        raise Unauthorized("Wrong password; send your current password as passwd_hash.", code="bad_credentials")


def delete_faces(user, actor, kind="erase.faces"):
    """Erases every face template of ``user``; returns how many."""
    removed = db.session.execute(delete(FaceEncoding).where(FaceEncoding.user_id == user.id)
                                 .execution_options(synchronize_session=False)).rowcount
    audit.log(kind, actor, user, detail={"templates": removed})
    return removed


def erase_user(user, actor, erase_attendance=False):
    """Erases an account: its faces, tokens and every personal detail. Returns what happened."""
    if user.status == "erased":
        raise Conflict("This account is already erased.", code="already_erased")
    admin.lock_active_admins(user)
    was_active = user.status == "active"
    templates = db.session.execute(delete(FaceEncoding).where(FaceEncoding.user_id == user.id)).rowcount
    db.session.execute(delete(Token).where(Token.user_id == user.id))
    leave.forget_student(user)  # reasons for leave are personal, often medical
    claims.forget(user)  # their pending proof, their mail and their guardian's address
    own_records = select(AttendanceRecord.id).where(AttendanceRecord.student_id == user.id)
    records = db.session.scalar(select(func.count()).select_from(own_records.subquery()))
    if user.role == STUDENT and erase_attendance:
        db.session.execute(delete(AttendanceRecord).where(AttendanceRecord.student_id == user.id)
                           .execution_options(synchronize_session=False))
        attendance = "deleted"
    else:
        # A teacher's note about the student may name them: the record stays, the note goes.
        db.session.execute(update(AttendanceEvent).where(AttendanceEvent.record_id.in_(own_records))
                           .values(note=None).execution_options(synchronize_session=False))
        attendance = "pseudonymised"
    scrub_mentions(user.email, user.name, *placeholder(user))
    user.email, user.name = placeholder(user)
    user.password_hash = "!erased"  # matches no password
    user.status, user.last_seen_at = "erased", None
    db.session.flush()
    if was_active:
        admin.keep_an_active_admin(user)
    outcome = {"templates": templates, "records": records, "attendance": attendance}
    if user.role == TEACHER:
        outcome["sessions"] = db.session.scalar(select(func.count()).where(ClassSession.teacher_id == user.id))
    audit.log("erase.account", actor, user, detail=outcome)
    return outcome


def _text_columns():
    """(table, its key column, a text column) of every table but users, whose own row
    erase_user scrubs itself (another account may share the address under another role)."""
    for table in Base.metadata.sorted_tables:
        if table.name == User.__tablename__:
            continue
        key = list(table.primary_key.columns)[0]
        for column in table.columns:
            if isinstance(column.type, (String, Text)):
                yield table, key, column


def _mention_pattern(email, name):
    """The address (as typed, and as JSON writes it in an audit detail) and the name as a whole word."""
    parts = {re.escape(email), re.escape(json.dumps(email)[1:-1])}
    if name and len(name) >= MIN_NAME_MATCH:
        parts.add(r"(?<!\w)" + re.escape(name) + r"(?!\w)")
    return re.compile("|".join(sorted(parts, key=len, reverse=True)), re.IGNORECASE)


def mentions(email, name):
    """(table, key column, key, column, text) of every text outside the users table that names
    the person by address or name: the database narrows by substring, the pattern decides."""
    pattern = _mention_pattern(email, name)
    needles = {email, json.dumps(email)[1:-1]} | ({name} if name and len(name) >= MIN_NAME_MATCH else set())
    found = []
    for table, key, column in _text_columns():
        condition = or_(*(func.lower(column).contains(n.lower(), autoescape=True) for n in needles))
        for row_key, text in db.session.execute(select(key, column).where(condition)):
            if text and pattern.search(text):
                found.append((table, key, row_key, column, text))
    return found


def scrub_mentions(email, name, new_email, new_name):
    """Erasure's part outside the account's row: invitations to the address go, every other
    mention becomes the placeholder. Core statements: the audit log's rows are otherwise
    never changed (services.audit refuses it through the ORM), erasure is the one exception."""
    pattern = _mention_pattern(email, name)
    addresses = {email.lower(), json.dumps(email)[1:-1].lower()}

    def placeholder_for(match):
        return new_email if match.group(0).lower() in addresses else new_name

    db.session.execute(delete(RosterInvitation).where(RosterInvitation.email == email)
                       .execution_options(synchronize_session=False))
    for table, key, row_key, column, text in mentions(email, name):
        db.session.execute(update(table).where(key == row_key)
                           .values({column.name: pattern.sub(placeholder_for, text)}))


def transfer_sessions(admin, from_teacher, to_teacher):
    """Hands every session of ``from_teacher`` (usually a former teacher) to ``to_teacher``."""
    if from_teacher.id == to_teacher.id:
        raise Conflict("Pick two different teachers.", code="same_teacher")
    if to_teacher.status != "active":
        raise Conflict("Sessions can only go to an active teacher.", code="bad_status")
    try:
        with db.session.begin_nested():
            moved = db.session.execute(update(ClassSession).where(ClassSession.teacher_id == from_teacher.id)
                                       .values(teacher_id=to_teacher.id)
                                       .execution_options(synchronize_session=False)).rowcount
    except IntegrityError:
        raise Conflict("The receiving teacher already has a session with the same name and times.",
                       code="class_exists") from None
    audit.log("admin.transfer_sessions", admin, to_teacher, detail={"sessions": moved, "from_user": from_teacher.id})
    return moved


def export(user):
    """Everything stored about ``user``, except the face templates themselves."""
    faces = accounts.enrollments(user)
    records = db.session.execute(record_rows().where(AttendanceRecord.student_id == user.id)
                                 .order_by(ClassSession.starts_at, AttendanceRecord.id)).all()
    history = db.session.execute(
        select(AttendanceEvent.record_id, AttendanceEvent.at, AttendanceEvent.method, AttendanceEvent.from_status,
               AttendanceEvent.to_status, AttendanceEvent.distance, AttendanceEvent.note,
               User.email.label("actor_email"))
        .join(AttendanceRecord, AttendanceEvent.record_id == AttendanceRecord.id)
        .join(User, AttendanceEvent.actor_id == User.id)
        .where(AttendanceRecord.student_id == user.id).order_by(AttendanceEvent.at, AttendanceEvent.id)).all()
    sessions = db.session.execute(
        select(ClassSession.class_name, ClassSession.class_date, ClassSession.starts_at, ClassSession.ends_at,
               ClassSession.created_at, func.count(AttendanceRecord.id).label("roster_size"))
        .outerjoin(AttendanceRecord, AttendanceRecord.session_id == ClassSession.id)
        .where(ClassSession.teacher_id == user.id)
        .group_by(ClassSession.id).order_by(ClassSession.starts_at)).all()
    roster_changes = db.session.execute(
        select(RosterEvent.at, RosterEvent.action, RosterEvent.from_status, RosterEvent.note,
               User.email.label("actor_email"), ClassSession.class_name, ClassSession.starts_at,
               ClassSession.ends_at)
        .join(ClassSession, RosterEvent.session_id == ClassSession.id)
        .join(User, RosterEvent.actor_id == User.id)
        .where(RosterEvent.email == user.email).order_by(RosterEvent.at, RosterEvent.id)).all()
    invitations = db.session.execute(
        select(RosterInvitation.created_at, ClassSession.class_name, ClassSession.starts_at, ClassSession.ends_at)
        .join(ClassSession, RosterInvitation.session_id == ClassSession.id)
        .where(RosterInvitation.email == user.email).order_by(ClassSession.starts_at)).all()
    about = audit.entries(subject_id=user.id)
    # what else names them: notes about other records, audit details, reviews
    covered = {RosterEvent.__tablename__: "email", RosterInvitation.__tablename__: "email"}
    other = [SimpleNamespace(table=table.name, column=column.name, text=text)
             for table, _, _, column, text in mentions(user.email, user.name)
             if covered.get(table.name) != column.name]
    audit.log("export", user, user)
    return SimpleNamespace(faces=faces, records=records, history=history, sessions=sessions,
                           roster_changes=roster_changes, invitations=invitations, audit=about, mentions=other)


def purge_stale_faces(retention_days, now=None):
    """Erases the templates of students neither logged in nor recognised for ``retention_days``.

    Returns the emails whose faces were erased (nothing when retention_days is 0).
    """
    if retention_days <= 0:
        return []
    cutoff = (now or clock.utc_naive()) - timedelta(days=retention_days)
    # Recognised: a record marked by selfie, class photo or kiosk (read here, so check-ins write nothing more).
    recognised_since = select(AttendanceRecord.id).where(
        AttendanceRecord.student_id == User.id, AttendanceRecord.method.in_(("selfie", "photo", "kiosk")),
        AttendanceRecord.marked_time >= cutoff)
    stale = db.session.scalars(
        select(User).where(User.role == STUDENT, User.status != "erased",
                           func.coalesce(User.last_seen_at, User.created_at) < cutoff,
                           ~recognised_since.exists(), User.id.in_(select(FaceEncoding.user_id)))
        .order_by(User.email)).all()
    for user in stale:
        delete_faces(user, None, kind="purge.faces")
    return [u.email for u in stale]



def reseal_all(old_key, new_key):
    """Re-seals every face template under ``new_key``; returns how many. One transaction: a
    failure leaves every template under the old key."""
    rows = db.session.execute(select(FaceEncoding.id, FaceEncoding.user_id, FaceEncoding.encoding)).all()
    for row_id, owner, raw in rows:
        # 1024 bytes: a plain template enrolled before sealing existed (a sealed one is 1057)
        plain = bytes(raw) if len(raw) == PLAIN_TEMPLATE_BYTES else sealing.unseal(old_key, owner, raw)
        db.session.execute(update(FaceEncoding).where(FaceEncoding.id == row_id)
                           .values(encoding=sealing.seal(new_key, owner, plain))
                           .execution_options(synchronize_session=False))
    audit.log("key.rotate", None, None, detail={"templates": len(rows)})
    return len(rows)


def own_audit(user, limit_offset=(None, 0)):
    """(audit entries about ``user``, changes of their attendance records), newest first."""
    changes = db.session.execute(page(
        select(AttendanceEvent.at, AttendanceEvent.method, AttendanceEvent.from_status, AttendanceEvent.to_status,
               AttendanceEvent.distance, AttendanceEvent.note, User.email.label("actor_email"),
               ClassSession.class_name, ClassSession.starts_at, ClassSession.ends_at)
        .join(AttendanceRecord, AttendanceEvent.record_id == AttendanceRecord.id)
        .join(ClassSession, AttendanceRecord.session_id == ClassSession.id)
        .join(User, AttendanceEvent.actor_id == User.id)
        .where(AttendanceRecord.student_id == user.id)
        .order_by(AttendanceEvent.at.desc(), AttendanceEvent.id.desc()), limit_offset)).all()
    return audit.entries(subject_id=user.id, limit_offset=limit_offset), changes
