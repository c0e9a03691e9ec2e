"""Accounts: registration with an enrolled face, more faces, and what a profile shows."""
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from models import STUDENT, TEACHER, AttendanceRecord, ClassSession, FaceEncoding, User, db
from services import auth, claims, clock, faces, invitations, sealing
from services.errors import Conflict, Forbidden

MAX_FACES = 10


def register(role, email, name, password, photo, rules):
    """A new account enrolled with the one face in ``photo``, and its first token.

    Under TEACHER_SIGNUP=approval a teacher's account waits for an admin: (user, (None, None)).
    """
    check_signup(role, email, rules)
    encoding = faces.registration_encoding(photo, rules.max_selfie_pixels)
    pending = role == TEACHER and rules.teacher_signup == "approval"
    user = create_user(role, email, name, password, encoding, rules.password_method,
                       status="pending_approval" if pending else "active", face_key=rules.face_key)
    # rosters that named them before they enrolled; under VERIFY_INVITED_EMAILS once proven
    if role == STUDENT and not claims.start(user, rules):
        invitations.join_rosters(user, rules.timezone)
    if pending:
        return user, (None, None)
    return user, auth.issue_token(user, rules.token_ttl)


def check_signup(role, email, rules):
    """Who may create their own account: TEACHER_SIGNUP and STUDENT_EMAIL_DOMAINS."""
    if role == TEACHER and rules.teacher_signup == "closed":
        raise Forbidden("Teacher accounts are created by the school's administrators; ask them.",
                        code="signup_closed")
    if role == STUDENT and rules.student_email_domains \
            and email.rpartition("@")[2] not in rules.student_email_domains:
        raise Forbidden("Students enroll with their school email address ("
                        + ", ".join("@" + d for d in rules.student_email_domains) + ").", code="email_domain")


def create_user(role, email, name, password, encoding, password_method, status="active", face_key=None):
    """A new account; ``encoding`` None enrolls no face (admins, teachers an admin creates).
    A face is sealed under ``face_key`` (config.Rules.face_key) and bound to the account's id."""
    user = User(email=email, role=role, name=name, created_at=clock.utc_naive(), status=status,
                password_hash=auth.hash_password(password, password_method))
    db.session.add(user)
    try:
        db.session.flush()
    except IntegrityError:
        raise Conflict("An account with this email already exists; log in instead.",
                       code="email_taken") from None
    if encoding is not None:
        db.session.add(FaceEncoding(user_id=user.id, encoding=seal_template(face_key, user.id, encoding),
                                    created_at=user.created_at, source="enrollment"))
        db.session.flush()
    return user


def seal_template(face_key, owner_id, encoding):
    if not face_key:
        raise ValueError("A face template is only ever stored sealed: pass the FACE_KEY.")
    return sealing.seal(face_key, owner_id, faces.to_bytes(encoding))


def add_face(user, photo, rules):
    """Enrolls one more photo of ``user``; matching then uses the closest of their faces."""
    if face_count(user) >= MAX_FACES:
        raise Conflict(f"You already have {MAX_FACES} faces enrolled, the most allowed.", code="too_many_faces")
    encoding = faces.enrollment_encoding(photo, rules.max_selfie_pixels)
    db.session.add(FaceEncoding(user_id=user.id, encoding=seal_template(rules.face_key, user.id, encoding),
                                created_at=clock.utc_naive(), source="add_face"))
    db.session.flush()


def face_count(user):
    return db.session.scalar(select(func.count()).where(FaceEncoding.user_id == user.id))


def enrollments(user):
    """When and how each of ``user``'s faces was enrolled, oldest first (never the template)."""
    return db.session.execute(select(FaceEncoding.created_at, FaceEncoding.source)
                              .where(FaceEncoding.user_id == user.id).order_by(FaceEncoding.id)).all()


def teachers_of(student):
    """(email, name) of every teacher who owns one of the student's records, by email."""
    return db.session.execute(
        select(User.email, User.name).distinct()
        .join(ClassSession, ClassSession.teacher_id == User.id)
        .join(AttendanceRecord, AttendanceRecord.session_id == ClassSession.id)
        .where(AttendanceRecord.student_id == student.id).order_by(User.email)).all()
