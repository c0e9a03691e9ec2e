"""Class sessions, rosters, check-in and statistics."""
from datetime import datetime, timedelta

import numpy as np
from sqlalchemy import and_, case, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from models import STUDENT, AttendanceEvent, AttendanceRecord, ClassSession, FaceEncoding, User, db
from services import clock, faces, timing
from services.errors import BadInput, Conflict, FaceProblem, Forbidden, NotFound

Record, Session = AttendanceRecord, ClassSession
Student, Teacher = aliased(User, name="student"), aliased(User, name="teacher")

LATEST_LIMIT = 100


class Slot:
    """A session's name and local wall-clock times, as the client names it."""

    def __init__(self, class_name, class_date, start_time, end_time):
        self.class_name = class_name
        self.starts_at = datetime.combine(class_date, start_time)
        self.ends_at = datetime.combine(class_date, end_time)
        if self.ends_at <= self.starts_at:
            raise BadInput("end_time must be later than start_time.", code="bad_time_range")


def _students_by_email(emails):
    if not emails:
        return []
    return db.session.scalars(select(User).where(User.role == STUDENT, User.email.in_(emails))).all()


def _latest_roster(teacher, class_name):
    latest = (select(Session.id).where(Session.teacher_id == teacher.id, Session.class_name == class_name)
              .order_by(Session.starts_at.desc()).limit(1).scalar_subquery())
    return db.session.scalars(select(Record.student_id).where(Record.session_id == latest)).all()


def create_session(teacher, slot, roster_emails):
    """Creates a session and one unmarked record per known roster student.

    ``roster_emails`` None reuses the roster of the teacher's latest session of that class.
    Returns the session and the roster emails that match no student.
    """
    if roster_emails is None:
        student_ids, unknown = _latest_roster(teacher, slot.class_name), []
    else:
        found = _students_by_email(roster_emails)
        known = {s.email for s in found}
        student_ids = [s.id for s in found]
        unknown = [e for e in roster_emails if e not in known]
    now = clock.utc_naive()
    session = Session(teacher_id=teacher.id, class_name=slot.class_name, class_date=slot.starts_at.date(),
                      starts_at=slot.starts_at, ends_at=slot.ends_at, created_at=now)
    db.session.add(session)
    try:
        db.session.flush()
    except IntegrityError:
        raise Conflict("This class session already exists; pick another name, date or time.",
                       code="class_exists") from None
    db.session.add_all(Record(session_id=session.id, student_id=sid, created_at=now) for sid in student_ids)
    db.session.flush()
    return session, unknown


def teacher_session(teacher, slot):
    session = db.session.scalar(select(Session).where(
        Session.teacher_id == teacher.id, Session.class_name == slot.class_name,
        Session.starts_at == slot.starts_at, Session.ends_at == slot.ends_at))
    if session is None:
        if _slot_exists(slot):
            raise Forbidden("This class session belongs to another teacher.", code="not_yours")
        raise NotFound("You have no class session with this name, date and time.", code="no_such_class")
    return session


def _slot_exists(slot):
    return db.session.scalar(select(Session.id).where(
        Session.class_name == slot.class_name, Session.starts_at == slot.starts_at,
        Session.ends_at == slot.ends_at).limit(1)) is not None


def _student_record(student, slot):
    record = db.session.scalar(
        select(Record).join(Session, Record.session_id == Session.id).where(
            Record.student_id == student.id, Session.class_name == slot.class_name,
            Session.starts_at == slot.starts_at, Session.ends_at == slot.ends_at))
    if record is not None:
        return record
    if not _slot_exists(slot):
        raise NotFound("There is no class session with this name, date and time.", code="no_such_class")
    raise Forbidden("You are not on the roster of this class session.", code="not_on_roster")


def _opens_at(session, grace_minutes):
    """When marking a session's attendance may begin: its start minus the grace period."""
    return session.starts_at - timedelta(minutes=grace_minutes)


def _check_open(session, grace_minutes, tz_name):
    now = clock.local_naive(tz_name)
    opens_at = _opens_at(session, grace_minutes)
    if now < opens_at:
        raise Conflict(f"Check-in for this class opens at {opens_at:%Y-%m-%d %H:%M}.", code="not_open")
    if now > session.ends_at:
        raise Conflict(f"This class ended at {session.ends_at:%Y-%m-%d %H:%M}; check-in is closed.",
                       code="not_open")


def student_encodings(student_ids=None):
    """(student ids, n x 128 matrix) of every enrolled face of the given students (None: all)."""
    query = select(FaceEncoding.user_id, FaceEncoding.encoding)
    if student_ids is None:
        query = query.join(User, FaceEncoding.user_id == User.id).where(User.role == STUDENT)
    else:
        query = query.where(FaceEncoding.user_id.in_(student_ids))
    rows = db.session.execute(query.order_by(FaceEncoding.user_id)).all()
    if not rows:
        return [], np.empty((0, 128))
    return [r.user_id for r in rows], np.stack([faces.from_bytes(r.encoding) for r in rows])


def check_in(student, slot, image, settings):
    """Selfie check-in: on the roster, session open, unmarked, and the face verifies."""
    record = _student_record(student, slot)
    _check_open(record.session, settings["CHECKIN_GRACE_MINUTES"], settings["TIMEZONE"])
    if record.status is not None:
        raise Conflict(f"Attendance is already recorded as {record.status}.", code="already_marked")
    probes = faces.probe_encodings(image, settings["MAX_IMAGE_PIXELS"])
    _, known = student_encodings([student.id])
    distance = min(float(faces.distances(known, p).min()) for p in probes)
    if distance > settings["FACE_TOLERANCE"]:
        raise FaceProblem("The face in the selfie does not match your enrolled face.", code="face_mismatch")
    if not _mark_present(record.id, student, "selfie", distance):
        raise Conflict("Attendance is already recorded for this class.", code="already_marked")
    db.session.refresh(record)
    return record


def _mark_present(record_id, actor, method, distance):
    """Marks an unmarked record present; False when it was marked meanwhile.

    The condition sits in the UPDATE itself, so of concurrent markings exactly one wins.
    """
    marked = db.session.execute(
        update(Record).where(Record.id == record_id, Record.status.is_(None))
        .values(status="present", method=method, distance=distance, marked_time=clock.utc_naive())
        .execution_options(synchronize_session=False))
    if marked.rowcount != 1:
        return False
    _log(record_id, actor, method, None, "present", distance)
    return True


def _log(record_id, actor, method, from_status, to_status, distance=None, note=None):
    db.session.add(AttendanceEvent(record_id=record_id, actor_id=actor.id, at=clock.utc_naive(), method=method,
                                   from_status=from_status, to_status=to_status, distance=distance, note=note))


# ---- class photos ------------------------------------------------------------------------

class PhotoResult:
    """One photo's faces: [(Box, faces.Match, User or None)], and its annotated JPEG if asked."""

    def __init__(self, faces_found, annotated=None):
        self.faces, self.annotated = faces_found, annotated


def mark_from_photos(teacher, slot, images, settings, annotate=False):
    """Marks present every roster student recognised in the photos; never unmarks anyone.

    A session with an empty roster matches against every enrolled student and adds the
    students it recognises. Returns (session, candidate students, [PhotoResult]).
    """
    session = teacher_session(teacher, slot)
    if clock.local_naive(settings["TIMEZONE"]) < _opens_at(session, settings["CHECKIN_GRACE_MINUTES"]):
        raise Conflict(f"This class starts at {session.starts_at:%Y-%m-%d %H:%M}; "
                       "photograph the room once it has begun.", code="not_open")
    with timing.phase("database"):
        roster = {r.student_id: r for r in db.session.scalars(select(Record).where(Record.session_id == session.id))}
        owner_ids, known = student_encodings(list(roster) if roster else None)
    candidates = sorted(set(owner_ids))
    column = {student_id: i for i, student_id in enumerate(candidates)}
    students = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(candidates)))} if candidates else {}
    results = []
    for image in images:
        pixels, boxes, encodings = faces.room_encodings(image, settings["MAX_IMAGE_PIXELS"])
        with timing.phase("match"):
            distance = faces.per_candidate_distances(encodings, known, [column[o] for o in owner_ids])
            matches = faces.match_faces(distance, settings["PHOTO_TOLERANCE"], settings["PHOTO_REVIEW_BAND"],
                                        settings["PHOTO_MARGIN"])
        found = [(box, m, students[candidates[m.candidate]] if m.decision == "matched" else None)
                 for box, m in zip(boxes, matches)]
        with timing.phase("database"):
            for _, match, student in found:
                if student is not None:
                    record = roster.get(student.id) or _add_to_roster(session, student, roster)
                    _mark_present(record.id, teacher, "photo", match.distance)
        results.append(PhotoResult(found, _annotation(pixels, found, students, candidates) if annotate else None))
    db.session.flush()
    return session, [students[c] for c in candidates], results


def _add_to_roster(session, student, roster):
    record = Record(session_id=session.id, student_id=student.id, created_at=clock.utc_naive())
    try:
        with db.session.begin_nested():  # a concurrent photo may have added the same student
            db.session.add(record)
    except IntegrityError:
        record = db.session.scalar(select(Record).where(Record.session_id == session.id,
                                                        Record.student_id == student.id))
    roster[student.id] = record
    return record


def _annotation(pixels, found, students, candidates):
    labelled = []
    for box, match, student in found:
        if student is not None:
            label = student.name
        elif match.candidates:
            label = "? " + students[candidates[match.candidates[0][0]]].name
        else:
            label = "unknown"
        labelled.append((box, match.decision, label))
    return faces.annotate(pixels, labelled)


def session_statuses(session):
    """(present students, students not present) of a session, by email."""
    rows = db.session.execute(select(User.email, Record.status).join(Record, Record.student_id == User.id)
                              .where(Record.session_id == session.id).order_by(User.email)).all()
    return [r.email for r in rows if r.status == "present"], [r.email for r in rows if r.status != "present"]


# ---- corrections and history -------------------------------------------------------------

def set_status(teacher, slot, student_email, status, note):
    """A teacher's correction of one record; returns the record."""
    session = teacher_session(teacher, slot)
    record = db.session.scalar(select(Record).join(User, Record.student_id == User.id).where(
        Record.session_id == session.id, User.email == student_email, User.role == STUDENT))
    if record is None:
        raise NotFound("This student is not on the roster of this class session.", code="not_on_roster")
    if record.status == status and not note:
        return record
    previous = record.status
    record.status, record.method, record.distance = status, "manual", None
    record.marked_time = clock.utc_naive() if status == "present" else None
    _log(record.id, teacher, "manual", previous, status, note=note)
    db.session.flush()
    return record


def history(teacher, slot=None, student_email=None, page=(None, 0)):
    """The audit trail of the teacher's sessions: one session, one student, or both."""
    actor = aliased(User, name="actor")
    query = (select(AttendanceEvent.id, AttendanceEvent.at, AttendanceEvent.method, AttendanceEvent.from_status,
                    AttendanceEvent.to_status, AttendanceEvent.distance, AttendanceEvent.note,
                    actor.email.label("actor_email"), Student.email.label("student_email"), Session.class_name,
                    Session.class_date, Session.starts_at, Session.ends_at)
             .join(Record, AttendanceEvent.record_id == Record.id)
             .join(Session, Record.session_id == Session.id)
             .join(Student, Record.student_id == Student.id)
             .join(actor, AttendanceEvent.actor_id == actor.id)
             .where(Session.teacher_id == teacher.id)
             .order_by(AttendanceEvent.at.desc(), AttendanceEvent.id.desc()))
    if slot is not None:
        query = query.where(Session.id == teacher_session(teacher, slot).id)
    if student_email is not None:
        query = query.where(Student.email == student_email)
    return db.session.execute(_page(query, page)).all()


# ---- reads ----------------------------------------------------------------------------

def _record_rows():
    """Records joined with what their contract shape needs."""
    return (select(Record.id, Record.status, Record.method, Record.distance, Record.marked_time,
                   Record.created_at, Session.class_name, Session.class_date, Session.starts_at,
                   Session.ends_at, Student.email.label("student_email"), Teacher.email.label("teacher_email"))
            .join(Session, Record.session_id == Session.id)
            .join(Student, Record.student_id == Student.id)
            .join(Teacher, Session.teacher_id == Teacher.id))


def _absent(now):
    return or_(Record.status == "absent", and_(Record.status.is_(None), Session.ends_at < now))


def _page(query, page):
    limit, offset = page
    if offset:
        query = query.offset(offset)
    if limit is not None:
        query = query.limit(limit)
    return query


def session_records(session):
    return db.session.execute(_record_rows().where(Record.session_id == session.id)
                              .order_by(Student.email)).all()


def teacher_records(teacher, page=(None, 0)):
    query = (_record_rows().where(Session.teacher_id == teacher.id)
             .order_by(Session.starts_at.desc(), Session.id.desc(), Student.email))
    return db.session.execute(_page(query, page)).all()


def latest_session_records(teacher):
    latest = (select(Session.id).where(Session.teacher_id == teacher.id)
              .order_by(Session.starts_at.desc(), Session.id.desc()).limit(1).scalar_subquery())
    return db.session.execute(_record_rows().where(Record.session_id == latest).order_by(Student.email)).all()


def student_marked(student, page=(None, 0)):
    query = (_record_rows().where(Record.student_id == student.id, Record.status == "present")
             .order_by(Session.starts_at.desc(), Record.id.desc()))
    return db.session.execute(_page(query, page)).all()


def student_missed(student, tz_name, page=(None, 0)):
    now = clock.local_naive(tz_name)
    query = (_record_rows().where(Record.student_id == student.id, _absent(now))
             .order_by(Session.starts_at.desc(), Record.id.desc()))
    return db.session.execute(_page(query, page)).all()


def student_pending(student, grace_minutes, tz_name):
    now = clock.local_naive(tz_name)
    return db.session.execute(
        _record_rows().where(Record.student_id == student.id, Record.status.is_(None),
                             Session.starts_at <= now + timedelta(minutes=grace_minutes),
                             Session.ends_at >= now)
        .order_by(Session.starts_at, Record.id)).all()


def _counts(now):
    # Outer-joined sessions without any record bring one all-NULL row: count records, not rows.
    unmarked = and_(Record.id.is_not(None), Record.status.is_(None))
    return (func.count(Record.id).label("total"),
            func.coalesce(func.sum(case((Record.status == "present", 1), else_=0)), 0).label("present"),
            func.coalesce(func.sum(case((or_(Record.status == "absent", and_(unmarked, Session.ends_at < now)), 1),
                                        else_=0)), 0).label("absent"),
            func.coalesce(func.sum(case((Record.status == "excused", 1), else_=0)), 0).label("excused"),
            func.coalesce(func.sum(case((and_(unmarked, Session.ends_at >= now), 1), else_=0)), 0).label("pending"))


def counts_by_session(teacher, tz_name, page=(None, 0)):
    now = clock.local_naive(tz_name)
    query = (select(Session.class_name, Session.class_date, *_counts(now))
             .select_from(Session).outerjoin(Record, Record.session_id == Session.id)
             .where(Session.teacher_id == teacher.id)
             .group_by(Session.class_name, Session.class_date)
             .order_by(Session.class_date.desc(), Session.class_name))
    return db.session.execute(_page(query, page)).all()


def counts_by_student_and_class(teacher, tz_name, page=(None, 0)):
    now = clock.local_naive(tz_name)
    query = (select(Student.email, Session.class_name, *_counts(now))
             .select_from(Record).join(Session, Record.session_id == Session.id)
             .join(Student, Record.student_id == Student.id)
             .where(Session.teacher_id == teacher.id)
             .group_by(Student.email, Session.class_name)
             .order_by(Student.email, Session.class_name))
    return db.session.execute(_page(query, page)).all()


def student_counts(student, tz_name):
    now = clock.local_naive(tz_name)
    return db.session.execute(
        select(*_counts(now)).select_from(Record).join(Session, Record.session_id == Session.id)
        .where(Record.student_id == student.id)).one()


def latest_markings(teacher):
    return db.session.execute(
        select(Student.email, Record.marked_time).select_from(Record)
        .join(Session, Record.session_id == Session.id).join(Student, Record.student_id == Student.id)
        .where(Session.teacher_id == teacher.id, Record.status == "present")
        .order_by(Record.marked_time.desc(), Record.id.desc()).limit(LATEST_LIMIT)).all()


def latest_student_records(student):
    return db.session.execute(
        select(Session.class_name, Session.class_date, Record.status).select_from(Record)
        .join(Session, Record.session_id == Session.id).where(Record.student_id == student.id)
        .order_by(Session.starts_at.desc(), Record.id.desc()).limit(LATEST_LIMIT)).all()


def record_row(record_id):
    return db.session.execute(_record_rows().where(Record.id == record_id)).one()
