"""Schedules in bulk (issue 27, finding 7): a term's records and invitations are written with
set-based statements, so the statements a create_schedule runs do not grow with its sessions
or its roster."""
from sqlalchemy import event, func, select

from models import AttendanceRecord, RosterInvitation, db
from tests.test_terms import schedule


def statements_of(client, teacher, **fields):
    """(answer, how many statements the database ran for it)."""
    ran = []

    def count(conn, cursor, statement, parameters, context, executemany):
        ran.append(statement.split("(")[0][:60])

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        response = schedule(client, teacher, **fields)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert response.status_code == 200, response.get_json()
    return len(ran)


def test_the_statements_of_a_schedule_do_not_grow_with_its_sessions_or_roster(client, teacher, make_user):
    for i in range(5):
        make_user(f"known{i}@school.test")
    known = ",".join(f"known{i}@school.test" for i in range(5))

    def roster(invited):
        return known + "," + ",".join(f"new{i}@school.test" for i in range(invited))

    # a week and a month of daily classes (monday to friday), a few and many invitations
    small = statements_of(client, teacher, class_name="Small", weekdays="mon,tue,wed,thu,fri",
                          from_date="2026-03-02", to_date="2026-03-06", student_email_ids=roster(3), require_code="1")
    large = statements_of(client, teacher, class_name="Large", weekdays="mon,tue,wed,thu,fri",
                          from_date="2026-03-02", to_date="2026-03-27", student_email_ids=roster(30), require_code="1")
    assert large == small, (small, large)
    assert db.session.scalar(select(func.count()).select_from(RosterInvitation)) == 5 * 3 + 20 * 30
    assert db.session.scalar(select(func.count()).select_from(AttendanceRecord)) == 25 * 5
