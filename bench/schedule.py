"""The documented largest create_schedule: MAX_SESSIONS sessions with a roster of 1,000 emails
that have no account yet (every one an invitation in every session), through the service in
one transaction as the endpoint runs it, while another teacher creates a class on another
connection every 50 ms. Reports the schedule's wall time and the longest the other teacher's
write waited. Every table of the database is dropped first.

Run: python -m bench.schedule --database-url postgresql://.../bench [--emails 1000] [--sessions 400]
"""
import argparse
import threading
import time
from datetime import date, datetime, time as clock_time, timedelta

from bench.common import default_sqlite_url, reset_database, write_result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=default_sqlite_url("schedule.db"))
    parser.add_argument("--emails", type=int, default=1000)
    parser.add_argument("--sessions", type=int, default=400)
    args = parser.parse_args()

    from app import create_app, upgrade_database
    from models import TEACHER, db
    from services import accounts, schedules, sessions

    reset_database(args.database_url)
    app = create_app({"SQLALCHEMY_DATABASE_URI": args.database_url, "SECRET_KEY": "bench", "FACE_KEY": "5eed" * 16,
                      "PASSWORD_HASH": "pbkdf2:sha256:1"})
    with app.app_context():
        upgrade_database()
        bulk = accounts.create_user(TEACHER, "bulk@bench.test", "Bulk", "x", None, "pbkdf2:sha256:1")
        other = accounts.create_user(TEACHER, "other@bench.test", "Other", "x", None, "pbkdf2:sha256:1")
        db.session.commit()
        bulk_id, other_id = bulk.id, other.id

    waits, done = [], threading.Event()

    def other_teacher():
        with app.app_context():
            teacher = db.session.get(type(other), other_id)
            day = date(2030, 1, 1)
            while not done.is_set():
                started = time.perf_counter()
                sessions.create_session(teacher, sessions.Slot("Other", day, clock_time(9), clock_time(10)), [])
                db.session.commit()
                waits.append(time.perf_counter() - started)
                day += timedelta(days=1)
                time.sleep(0.05)

    emails = [f"new{i}@bench.test" for i in range(args.emails)]
    # Every day of the week, from a Monday, for as many days as sessions.
    start = date(2026, 1, 5)
    end = start + timedelta(days=args.sessions - 1)
    writer = threading.Thread(target=other_teacher)
    with app.app_context():
        teacher = db.session.get(type(bulk), bulk_id)
        writer.start()
        time.sleep(0.3)
        started = time.perf_counter()
        created, _, unknown = schedules.create_schedule(teacher, "Bulk", set(range(7)), clock_time(9),
                                                        clock_time(10), start, end, roster_emails=emails)
        db.session.commit()
        took = time.perf_counter() - started
        time.sleep(0.3)
        done.set()
        writer.join()
    result = {"database": args.database_url.split("://")[0], "sessions": len(created), "emails": len(unknown),
              "invitations": len(created) * len(unknown), "schedule_seconds": round(took, 2),
              "other_teacher_longest_write_seconds": round(max(waits), 3), "other_teacher_writes": len(waits),
              "at": datetime.now().isoformat(timespec="seconds")}
    print(result)
    write_result(f"schedule-{result['database']}.json", result)


if __name__ == "__main__":
    main()
