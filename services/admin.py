"""What the school's administrators do: find, approve, suspend and create accounts.

Suspension ends every session of the account (its tokens are deleted) and remembers nothing
but the audit entry: reactivation reads the state before the suspension from there, so a
teacher suspended while waiting for approval waits again. The last active administrator can
be neither suspended nor erased: the school would be left without anyone to run it.
"""
import json

from sqlalchemy import delete, func, select

from models import ADMIN, AuditEntry, FaceEncoding, Role, Token, User, db
from services import accounts, audit
from services.errors import Conflict, NotFound
from services.records import page

# action -> the status it leads to; reactivate returns to the status before the suspension
ACTIONS = {"approve": "active", "suspend": "suspended", "reactivate": "active"}


def find_user(email, role):
    """The account with this email and role; erased accounts are found only by their placeholder."""
    user = db.session.scalar(select(User).where(User.email == email, User.role == role))
    if user is None:
        raise NotFound(f"There is no {Role(role).label} account with this email.", code="no_such_user")
    return user


def list_users(role=None, status=None, limit_offset=(None, 0)):
    faces = (select(func.count()).where(FaceEncoding.user_id == User.id).correlate(User)
             .scalar_subquery().label("faces"))
    query = select(User, faces).order_by(User.role.desc(), User.email)
    if role is not None:
        query = query.where(User.role == role)
    if status is not None:
        query = query.where(User.status == status)
    return db.session.execute(page(query, limit_offset)).all()


def set_status(admin, user, action):
    """approve (a pending teacher), suspend, or reactivate (a suspended account)."""
    if user.id == admin.id:
        raise Conflict("Administrators cannot change their own account's status.", code="own_account")
    allowed_from = {"approve": ("pending_approval",), "suspend": ("active", "pending_approval"),
                    "reactivate": ("suspended",)}[action]
    if user.status not in allowed_from:
        raise Conflict(f"This account is {user.status}; it cannot be {action}d.", code="bad_status")
    if action == "suspend":
        lock_active_admins(user)
        db.session.execute(delete(Token).where(Token.user_id == user.id))
    new_status = status_before_suspension(user) if action == "reactivate" else ACTIONS[action]
    previous, user.status = user.status, new_status
    db.session.flush()
    if previous == "active":
        keep_an_active_admin(user)
    audit.log(f"admin.{action}", admin, user, detail={"from": previous, "to": user.status})
    db.session.flush()
    return user


def status_before_suspension(user):
    """What the account was before its last suspension (active when no audit entry says)."""
    detail = db.session.scalar(select(AuditEntry.detail).where(AuditEntry.subject_id == user.id,
                                                                AuditEntry.kind == "admin.suspend")
                               .order_by(AuditEntry.id.desc()).limit(1))
    before = json.loads(detail).get("from") if detail else None
    return before if before in ("active", "pending_approval") else "active"


def lock_active_admins(user):
    """Before taking ``user`` out of service: PostgreSQL locks the active administrators' rows,
    so two admins suspending each other at once run one after the other (SQLite runs one
    writer at a time anyway)."""
    if user.role == ADMIN:
        db.session.execute(select(User.id).where(User.role == ADMIN, User.status == "active")
                           .order_by(User.id).with_for_update())


def keep_an_active_admin(user):
    """After taking ``user`` out of service (flushed): refuses when no active administrator is
    left, which the request's rollback then undoes."""
    if user.role == ADMIN and not db.session.scalar(
            select(func.count()).where(User.role == ADMIN, User.status == "active")):
        raise Conflict("This is the last active administrator; make another one first.", code="last_admin")


def create_account(admin, role, email, name, password, password_method, encoding=None):
    """An active account made by an administrator (or the command line, ``admin`` None)."""
    user = accounts.create_user(role, email, name, password, encoding, password_method)
    audit.log(f"admin.create_{Role(role).label}", admin, user)
    return user
