"""Query plans of every statistics and listing query, for one teacher and one student of the
seeded school (run bench/stats.py first on the same database).

Calls the real services and captures the SQL they send (every statement of a call), then
asks the database how it runs each: EXPLAIN ANALYZE on PostgreSQL, EXPLAIN QUERY PLAN on SQLite.

Run: python -m bench.explain --database-url URL [--teacher EMAIL] [--student EMAIL]
"""
import argparse

from sqlalchemy import event, select

from bench.common import default_sqlite_url


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=default_sqlite_url("stats.db"))
    parser.add_argument("--teacher", default="teacher007@school.test")
    parser.add_argument("--student", default="student0042@school.test")
    args = parser.parse_args()

    from app import create_app
    from models import STUDENT, TEACHER, ClassSession, User, db
    from services import reports

    app = create_app({"SQLALCHEMY_DATABASE_URI": args.database_url, "SECRET_KEY": "bench", "FACE_KEY": "00" * 32})
    with app.app_context():
        teacher = db.session.scalar(select(User).where(User.email == args.teacher, User.role == TEACHER))
        student = db.session.scalar(select(User).where(User.email == args.student, User.role == STUDENT))
        some_session = db.session.scalar(select(ClassSession).where(ClassSession.teacher_id == teacher.id).limit(1))
        calls = {
            "get_classes_by_teacher": lambda: reports.teacher_records(teacher),
            "get_latest_class_by_teacher": lambda: reports.latest_session_records(teacher, "UTC"),
            "get_class_attendance": lambda: reports.session_records(some_session),
            "get_present_absent_classes_by_teacher": lambda: reports.counts_by_session(teacher, "UTC"),
            "get_student_class_record": lambda: reports.counts_by_student_and_class(teacher, "UTC"),
            "get_attendance_time_records": lambda: reports.latest_markings(teacher),
            "get_marked_attendance": lambda: reports.student_marked(student),
            "get_missed_attendance": lambda: reports.student_missed(student, "UTC"),
            "get_pending_attendance": lambda: reports.student_pending(student, 10, "UTC"),
            "get_student_stats": lambda: reports.student_counts(student, "UTC"),
            "get_student_attendance_time_records / get_student_class_attd_stat":
                lambda: reports.latest_student_records(student),
        }
        postgres = db.engine.dialect.name == "postgresql"
        for name, call in calls.items():
            captured = []

            def capture(conn, cursor, statement, parameters, context, executemany):
                captured.append((statement, parameters))

            event.listen(db.engine, "before_cursor_execute", capture)
            call()
            event.remove(db.engine, "before_cursor_execute", capture)
            prefix = "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " if postgres else "EXPLAIN QUERY PLAN "
            raw = db.session.connection().connection.dbapi_connection
            for i, (statement, parameters) in enumerate(captured, 1):
                cursor = raw.cursor()
                cursor.execute(prefix + statement, parameters)
                print(f"== {name}" + (f" ({i} of {len(captured)})" if len(captured) > 1 else ""))
                for row in cursor.fetchall():
                    print("   ", row[0] if postgres else f"{'  ' * (row[1] > 0)}{row[-1]}")
                cursor.close()
        db.session.rollback()


if __name__ == "__main__":
    main()
