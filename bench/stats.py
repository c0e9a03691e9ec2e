"""Statistics and listings at school scale, over HTTP, against a load-everything-into-Python reference.

Seeds the benchmark's own database (every table is dropped first) with 2,000 students,
80 teachers and 4,000 sessions of 30 students (120,000 records, about 85% of the ended
ones marked present) spread over a semester up to next week, in bulk through SQLAlchemy
core. Then it serves bench.reference_app with the production gunicorn config and times each
endpoint and its reference (bench/reference_app.py) on the same users, checking that both
answer the same.

Run: python -m bench.stats [--database-url URL] [--calls N] [--explain]
"""
import argparse
import hashlib
import http.client
import random
import time
from datetime import datetime, timedelta, timezone

import numpy as np
from sqlalchemy import insert, text
from werkzeug.security import generate_password_hash

from bench.common import PASSWORD, Server, default_sqlite_url, ms, percentile, request, reset_database, write_result

STUDENTS, TEACHERS, CLASSES_PER_TEACHER, MEETINGS, ROSTER = 2000, 80, 5, 10, 30
SUBJECTS = ["Math", "History", "Biology", "Chemistry", "Physics", "Literature", "Art", "Music", "Geography", "French"]

TEACHER_ENDPOINTS = ["get_classes_by_teacher", "get_latest_class_by_teacher", "get_class_attendance",
                     "get_present_absent_classes_by_teacher", "get_student_class_record",
                     "get_attendance_time_records"]
STUDENT_ENDPOINTS = ["get_marked_attendance", "get_missed_attendance", "get_pending_attendance",
                     "get_student_stats", "get_student_attendance_time_records", "get_student_class_attd_stat"]


def raw_token(user_id):
    return f"bench-token-{user_id:05d}-{hashlib.sha256(str(user_id).encode()).hexdigest()[:24]}"


def seed(url, seed_value=7):
    """Builds the school; returns the teachers' and students' (id, email) and the sessions' slots."""
    from app import create_app, upgrade_database
    from models import AttendanceRecord, ClassSession, FaceEncoding, Token, User, db

    rng = random.Random(seed_value)
    vectors = np.random.default_rng(seed_value)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "FACE_KEY": "00" * 32})
    now = datetime.now(timezone.utc).replace(tzinfo=None, microsecond=0)  # the bench server runs on UTC
    today = now.date()
    with app.app_context():
        upgrade_database()
        password = generate_password_hash(PASSWORD, method="scrypt:32768:8:1")  # one hash, shared: seeding speed
        with db.engine.begin() as conn:
            people = ([{"email": f"teacher{i:03d}@school.test", "role": 1, "name": f"Teacher {i}"} for i in range(TEACHERS)]
                      + [{"email": f"student{i:04d}@school.test", "role": 0, "name": f"Student {i}"} for i in range(STUDENTS)])
            for p in people:
                p.update(password_hash=password, created_at=now - timedelta(days=120))
            ids = conn.execute(insert(User).returning(User.id, sort_by_parameter_order=True), people).scalars().all()
            teachers = [(ids[i], people[i]["email"]) for i in range(TEACHERS)]
            students = [(ids[i], people[i]["email"]) for i in range(TEACHERS, len(ids))]
            conn.execute(insert(FaceEncoding), [
                {"user_id": uid, "encoding": vectors.normal(0, 0.1, 128).tobytes(), "created_at": now} for uid in ids])
            conn.execute(insert(Token), [
                {"user_id": uid, "digest": hashlib.sha256(raw_token(uid).encode()).hexdigest(),
                 "created_at": now, "expires_at": now + timedelta(days=30)} for uid in ids])

            # Each teacher has 5 classes meeting weekly: 8 weeks back to 1 week ahead, so some
            # sessions are today (open now or later), most ended, a few in the future.
            sessions, rosters = [], []
            for t, (teacher_id, _) in enumerate(teachers):
                for c in range(CLASSES_PER_TEACHER):
                    group = t * CLASSES_PER_TEACHER + c
                    name = f"{SUBJECTS[group % len(SUBJECTS)]} {100 + group}"
                    roster = rng.sample(range(len(students)), ROSTER)
                    hour, weekday_offset = 8 + (group // 5) % 9, group % 5 - 2
                    for week in range(MEETINGS):
                        day = today + timedelta(days=7 * (week - 8) + weekday_offset)
                        starts = datetime.combine(day, datetime.min.time()).replace(hour=hour)
                        sessions.append({"teacher_id": teacher_id, "class_name": name, "class_date": day,
                                         "starts_at": starts, "ends_at": starts + timedelta(minutes=50),
                                         "created_at": starts - timedelta(days=1)})
                        rosters.append(roster)
            session_ids = conn.execute(insert(ClassSession).returning(ClassSession.id, sort_by_parameter_order=True),
                                       sessions).scalars().all()
            records = []
            for sid, s, roster in zip(session_ids, sessions, rosters):
                for index in roster:
                    row = {"session_id": sid, "student_id": students[index][0], "status": None, "method": None,
                           "distance": None, "marked_time": None, "created_at": s["created_at"]}
                    if s["ends_at"] < now:
                        luck = rng.random()
                        if luck < 0.85:
                            row.update(status="present", method="selfie", distance=round(rng.uniform(0.2, 0.5), 3),
                                       marked_time=s["starts_at"] + timedelta(seconds=rng.randint(-300, 900)))
                        elif luck < 0.86:
                            row.update(status="excused", method="manual", marked_time=s["ends_at"])
                    records.append(row)
            for i in range(0, len(records), 10_000):
                conn.execute(insert(AttendanceRecord), records[i:i + 10_000])
            # What autovacuum would do soon after a bulk load: give the planner real statistics.
            conn.execute(text("ANALYZE"))
        db.engine.dispose()
    slots = [(sid, s) for sid, s in zip(session_ids, sessions)]
    return teachers, students, slots, len(records)


def slot_fields(s):
    return {"class_name": s["class_name"], "class_date": s["class_date"].isoformat(),
            "start_time": s["starts_at"].strftime("%H:%M"), "end_time": s["ends_at"].strftime("%H:%M")}


def calls_for(endpoint, teachers, students, slots, rng, n):
    """n (user id, fields) pairs spread over different users, the same for ours and the reference."""
    out = []
    for _ in range(n):
        if endpoint in TEACHER_ENDPOINTS:
            uid, email = rng.choice(teachers)
            fields = {"teacher_email_id": email, "teacher_name": "x"}
            if endpoint == "get_class_attendance":
                fields.update(slot_fields(rng.choice([s for _, s in slots if s["teacher_id"] == uid])))
        else:
            uid, email = rng.choice(students)
            fields = {"email_id": email, "student_email_id": email, "name": "x"}
        out.append((uid, fields))
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=default_sqlite_url("stats.db"))
    parser.add_argument("--calls", type=int, default=100, help="timed calls per endpoint and side")
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()

    reset_database(args.database_url)
    started = time.perf_counter()
    teachers, students, slots, n_records = seed(args.database_url)
    print(f"seeded {len(teachers)} teachers, {len(students)} students, {len(slots)} sessions, "
          f"{n_records} records in {time.perf_counter() - started:.1f} s")

    rng = random.Random(11)
    results = {}
    with Server(args.database_url, workers=args.workers, app="bench.reference_app:create_reference_app()",
                log_name="stats-server.log") as server:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
        print(f"\n{'endpoint':40} {'ours p50':>9} {'p95':>7} | {'reference p50':>13} {'p95':>7} | {'p50 x':>6} {'p95 x':>6}  size")
        for endpoint in TEACHER_ENDPOINTS + STUDENT_ENDPOINTS:
            plan = calls_for(endpoint, teachers, students, slots, rng, args.calls)
            timings = {"ours": [], "reference": []}
            sizes = []
            for i, (uid, fields) in enumerate([plan[0]] * 5 + plan):  # five warm-up calls
                answers = {}
                for side, path in (("ours", f"/api/v1/{endpoint}"), ("reference", f"/bench/reference/{endpoint}")):
                    status, body, elapsed = request(conn, "POST", path, fields, token=raw_token(uid))
                    if status != 200:
                        raise SystemExit(f"{side} {endpoint}: {status} {body}")
                    answers[side] = body
                    if i >= 5:
                        timings[side].append(elapsed)
                if answers["ours"] != answers["reference"]:
                    raise SystemExit(f"{endpoint}: ours and the reference disagree for user {uid}")
                sizes.append(len(answers["ours"]))
            o, r = timings["ours"], timings["reference"]
            results[endpoint] = {"ours_p50_ms": percentile(o, 50) * 1000, "ours_p95_ms": percentile(o, 95) * 1000,
                                 "reference_p50_ms": percentile(r, 50) * 1000, "reference_p95_ms": percentile(r, 95) * 1000,
                                 "items_mean": sum(sizes) / len(sizes)}
            print(f"{endpoint:40} {ms(percentile(o, 50)):>9} {ms(percentile(o, 95)):>7} | "
                  f"{ms(percentile(r, 50)):>13} {ms(percentile(r, 95)):>7} | "
                  f"{percentile(r, 50) / percentile(o, 50):6.1f} {percentile(r, 95) / percentile(o, 95):6.1f}"
                  f"  {sum(sizes) / len(sizes):.0f}")
        conn.close()
    print("(milliseconds over HTTP; size = mean items in the answer; every answer identical to the reference)")

    # The same calls without HTTP, authentication or JSON: only the view's own work, ours
    # (SQL does the counting) against the reference (Python does). This is the part the
    # choice of approach changes; the ~4 ms every request pays around it is shared.
    print(f"\n{'view work only (in process)':40} {'ours p50':>9} {'p95':>7} | {'reference p50':>13} {'p95':>7} | {'p50 x':>6} {'p95 x':>6}")
    for endpoint in TEACHER_ENDPOINTS + STUDENT_ENDPOINTS:
        o, r = view_timings(args.database_url, endpoint, calls_for(endpoint, teachers, students, slots, rng, args.calls))
        results[endpoint].update(view_ours_p50_ms=percentile(o, 50) * 1000, view_ours_p95_ms=percentile(o, 95) * 1000,
                                 view_reference_p50_ms=percentile(r, 50) * 1000,
                                 view_reference_p95_ms=percentile(r, 95) * 1000)
        print(f"{endpoint:40} {ms(percentile(o, 50)):>9} {ms(percentile(o, 95)):>7} | "
              f"{ms(percentile(r, 50)):>13} {ms(percentile(r, 95)):>7} | "
              f"{percentile(r, 50) / percentile(o, 50):6.1f} {percentile(r, 95) / percentile(o, 95):6.1f}")
    write_result(f"stats-{args.database_url.split(':')[0]}.json", results)


def view_timings(url, endpoint, plan):
    """Seconds per call of our view and of the reference view, called directly."""
    from bench import reference_app
    from models import User, db
    from routes import reports, sessions
    from routes.fields import Fields

    ours_view = getattr(sessions, endpoint, None) or getattr(reports, endpoint)
    reference_view = next(v for v in vars(reference_app).values()
                          if callable(v) and getattr(v, "__name__", "") == REFERENCE_NAMES[endpoint])
    app = reference_app.create_reference_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench",
                                              "TIMEZONE": "UTC"})
    timings = {ours_view: [], reference_view: []}
    # Each view reads its fields as its endpoint declared them.
    declared = {view: next(v.api_declaration.by_name for v in app.view_functions.values()
                           if getattr(v, "__wrapped__", None) is view) for view in timings}
    with app.app_context():
        for i, (uid, fields) in enumerate([plan[0]] * 5 + plan):
            for view in timings:
                with app.test_request_context("/", method="POST", data=fields):
                    user = db.session.get(User, uid)
                    started = time.perf_counter()
                    view(Fields(declared[view]), user)
                    elapsed = time.perf_counter() - started
                    db.session.rollback()
                    db.session.expunge_all()
                if i >= 5:
                    timings[view].append(elapsed)
        db.engine.dispose()
    return timings[ours_view], timings[reference_view]


REFERENCE_NAMES = {name: name.removeprefix("get_") for name in TEACHER_ENDPOINTS + STUDENT_ENDPOINTS}


if __name__ == "__main__":
    main()
