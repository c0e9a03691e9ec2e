"""What the school's administrators do: find, approve, suspend and create accounts."""
from sqlalchemy import func, select

from models import FaceEncoding, Role, User, db
from services import accounts, audit
from services.errors import Conflict, NotFound
from services.records import page

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
    previous, user.status = user.status, ACTIONS[action]
    audit.log(f"admin.{action}", admin, user, detail={"from": previous, "to": user.status})
    db.session.flush()
    return user


def create_account(admin, role, email, name, password, password_method, encoding=None):
    """An active account made by an administrator (or the command line, ``admin`` None)."""
    user = accounts.create_user(role, email, name, password, encoding, password_method)
    audit.log(f"admin.create_{Role(role).label}", admin, user)
    return user
