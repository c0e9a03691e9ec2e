"""Privacy and trust (issue 8): who may identify whom, accounts, a student's own data, audit."""
from models import TEACHER
from tests.helpers import NOON, START, create_class, post


def test_students_see_which_teacher_owns_each_record(client, make_user, at):
    at(NOON)
    teacher = make_user("teacher@school.test", TEACHER, name="Ms Teacher")
    email, token = make_user("obama@school.test", name="Barack")
    create_class(client, teacher, roster=email)
    [record] = post(client, "get_pending_attendance", token, student_email_id=email).get_json()
    assert record["teacher_email_id"] == "teacher@school.test" and record["teacher_name"] == "Ms Teacher"
    profile = post(client, "get_profile", token, email_id=email).get_json()
    assert profile["teachers"] == [{"email_id": "teacher@school.test", "name": "Ms Teacher"}]
