"""Paging the per-session and per-student counts, and sessions whose roster is empty."""
from tests.conftest import post
from tests.test_stats import ask, timetable  # noqa: F401 - the fixture is shared


def test_counts_per_session_and_per_student_page_in_their_usual_order(client, timetable):  # noqa: F811
    teacher, _ = timetable
    for path in ("get_present_absent_classes_by_teacher", "get_student_class_record"):
        every = list(ask(client, path, teacher).items())
        assert len(every) >= 3
        page = ask(client, path, teacher, limit="2", offset="1")
        assert list(page.items()) == every[1:3]  # same keys, same order, same counts
        assert ask(client, path, teacher, offset=str(len(every))) == {}


def test_a_session_without_students_counts_nobody(client, timetable):  # noqa: F811
    (email, token), _ = timetable
    response = post(client, "create_class", token, teacher_email_id=email, class_name="Empty",
                    class_date="2026-03-01", start_time="08:00", end_time="08:30",
                    student_email_ids="nobody@school.test")
    assert response.status_code == 200 and response.get_json()["records"] == []
    counts = ask(client, "get_present_absent_classes_by_teacher", (email, token))
    assert counts["Empty|2026-03-01"] == {"total": 0, "present": 0, "absent": 0, "pending": 0, "excused": 0}
