"""A term's exports and attendance reports, over HTTP, on the school of bench/stats.py.

Seeds the school of bench.stats (2,000 students, 80 teachers, 4,000 sessions, 120,000
records; every table is dropped first), then gives its first teacher one more class: 30
students twice a week for 15 weeks (14 weeks back to one ahead), created in one
create_schedule request, its ended records marked as in bench.stats (about 85% present).
Serves the app with the production gunicorn config and times, p50 / p95 over HTTP:

- export_attendance of that class as csv and as xlsx (30 rows x 30 session columns);
- get_attendance_report of that class;
- get_attendance_report without a class (a teacher's classes, only students below the
  threshold) for random teachers of the school;
- and in process (no endpoint serves it), the whole school's below-threshold list.

Run: python -m bench.term [--database-url URL] [--calls N]
"""
import argparse
import csv
import http.client
import io
import json
import random
import time
from datetime import datetime, timedelta, timezone

from sqlalchemy import select, update

from bench.common import Server, default_sqlite_url, ms, multipart, percentile, reset_database, write_result
from bench.stats import raw_token, seed

TERM_WEEKS, TERM_STUDENTS, TERM_CLASS = 15, 30, "Term Seminar"


def call(conn, path, token, fields):
    """(status, body bytes, seconds, headers) of one POST."""
    body, content_type = multipart(fields)
    started = time.perf_counter()
    conn.request("POST", f"/api/v1/{path}", body=body,
                 headers={"Authorization": f"Bearer {token}", "Content-Type": content_type})
    response = conn.getresponse()
    data = response.read()
    return response.status, data, time.perf_counter() - started, dict(response.getheaders())


def create_term(conn, teacher, students):
    """The term class through create_schedule; returns (its fields, seconds the request took)."""
    today = datetime.now(timezone.utc).date()
    monday = today - timedelta(days=today.weekday())
    fields = {"teacher_email_id": teacher[1], "class_name": TERM_CLASS, "weekdays": "tue,thu",
              "start_time": "13:00", "end_time": "13:50",
              "from_date": (monday - timedelta(weeks=TERM_WEEKS - 2)).isoformat(),
              "to_date": (monday + timedelta(days=6, weeks=1)).isoformat(),
              "student_email_ids": ",".join(email for _, email in students)}
    status, data, seconds, _ = call(conn, "create_schedule", raw_token(teacher[0]), fields)
    assert status == 200, data
    created = json.loads(data)["created"]
    assert len(created) == 2 * TERM_WEEKS and not json.loads(data)["unknown_student_email_ids"], data[:300]
    return fields, seconds


def mark_term(url, teacher_id, seed_value=5):
    """Marks the term's ended records: 85% present, 1% excused, the rest left unmarked (absent)."""
    from app import create_app
    from models import AttendanceRecord, ClassSession, db

    rng = random.Random(seed_value)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    with app.app_context():
        rows = db.session.execute(select(AttendanceRecord.id, ClassSession.starts_at).join(ClassSession).where(
            ClassSession.teacher_id == teacher_id, ClassSession.class_name == TERM_CLASS,
            ClassSession.ends_at < now)).all()
        for record_id, starts_at in rows:
            luck = rng.random()
            values = ({"status": "present", "method": "selfie", "marked_time": starts_at} if luck < 0.85 else
                      {"status": "excused", "method": "manual", "marked_time": starts_at} if luck < 0.86 else None)
            if values:
                db.session.execute(update(AttendanceRecord).where(AttendanceRecord.id == record_id).values(**values))
        db.session.commit()
        db.engine.dispose()
    return len(rows)


def timed(conn, label, plan, check, results):
    """Calls ``plan`` (path, token, fields) after five warm-up calls; records p50/p95."""
    seconds = []
    for i, (path, token, fields) in enumerate([plan[0]] * 5 + plan):
        status, data, elapsed, headers = call(conn, path, token, fields)
        if status != 200:
            raise SystemExit(f"{label}: {status} {data[:300]!r}")
        check(data, headers)
        if i >= 5:
            seconds.append(elapsed)
    results[label] = {"p50_ms": percentile(seconds, 50) * 1000, "p95_ms": percentile(seconds, 95) * 1000,
                      "calls": len(seconds)}
    print(f"{label:58} {ms(percentile(seconds, 50)):>8} {ms(percentile(seconds, 95)):>8}")


def check_csv(data, headers):
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert len(rows) == TERM_STUDENTS + 1 and len(rows[0]) == 2 * TERM_WEEKS + 6, (len(rows), len(rows[0]))
    assert "attachment; filename=" in headers["Content-Disposition"]


def check_xlsx(data, headers):
    assert data[:2] == b"PK" and ".xlsx" in headers["Content-Disposition"]


def check_class_report(data, headers):
    students = json.loads(data)["students"]
    assert len(students) == TERM_STUDENTS, len(students)


def check_report(data, headers):
    assert all(s["below_threshold"] for s in json.loads(data)["students"])


def school_below_threshold(url, calls):
    """Seconds per call of the whole school's below-threshold list, in process."""
    from app import create_app
    from models import db
    from services import term_reports

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "TIMEZONE": "UTC"})
    seconds, rows = [], []
    with app.app_context():
        for i in range(calls + 2):
            started = time.perf_counter()
            rows = term_reports.student_rates(None, "UTC", app.config["LOW_ATTENDANCE_THRESHOLD"], only_below=True)
            if i >= 2:
                seconds.append(time.perf_counter() - started)
            db.session.rollback()
        db.engine.dispose()
    return seconds, len(rows)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=default_sqlite_url("term.db"))
    parser.add_argument("--calls", type=int, default=50, help="timed calls per measurement")
    args = parser.parse_args()

    reset_database(args.database_url)
    started = time.perf_counter()
    teachers, students, _, n_records = seed(args.database_url)
    print(f"seeded {len(teachers)} teachers, {len(students)} students, {n_records} records "
          f"in {time.perf_counter() - started:.1f} s")
    rng = random.Random(13)
    teacher = teachers[0]
    term_students = rng.sample(students, TERM_STUDENTS)
    results = {}
    with Server(args.database_url, workers=1, log_name="term-server.log") as server:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
        term, seconds = create_term(conn, teacher, term_students)
        results["create_schedule (30 sessions x 30 students, once)"] = {"ms": seconds * 1000}
        print(f"create_schedule, {2 * TERM_WEEKS} sessions x {TERM_STUDENTS} students: {ms(seconds)} ms (one call)")
        print(f"marked {mark_term(args.database_url, teacher[0])} ended records of the term")

        token = raw_token(teacher[0])
        base = {"teacher_email_id": teacher[1], "class_name": TERM_CLASS}
        print(f"\n{'over HTTP':58} {'p50 ms':>8} {'p95 ms':>8}")
        n = args.calls
        timed(conn, "export_attendance csv, 30 students x 30 sessions",
              [("export_attendance", token, {**base, "format": "csv"})] * n, check_csv, results)
        timed(conn, "export_attendance xlsx, 30 students x 30 sessions",
              [("export_attendance", token, {**base, "format": "xlsx"})] * n, check_xlsx, results)
        timed(conn, "get_attendance_report, that class",
              [("get_attendance_report", token, base)] * n, check_class_report, results)
        plan = [("get_attendance_report", raw_token(uid), {"teacher_email_id": email})
                for uid, email in (rng.choice(teachers) for _ in range(n))]
        timed(conn, "get_attendance_report, a teacher's classes, below only", plan, check_report, results)
        conn.close()

    seconds, below = school_below_threshold(args.database_url, max(5, n // 5))
    results["whole school below threshold (in process)"] = {
        "p50_ms": percentile(seconds, 50) * 1000, "p95_ms": percentile(seconds, 95) * 1000, "rows": below}
    print(f"{'whole school below threshold, in process (' + str(below) + ' rows)':58} "
          f"{ms(percentile(seconds, 50)):>8} {ms(percentile(seconds, 95)):>8}")
    write_result(f"term-{args.database_url.split(':')[0]}.json", results)


if __name__ == "__main__":
    main()
