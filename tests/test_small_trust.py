"""The small ones of issue 27 (finding 10): a roster file of a million blank lines is refused
before it is parsed, an invisible character in an address never makes a second invitation,
and no other site may frame the docs page."""
import csv
import io

import pytest
from sqlalchemy import func, select

from models import RosterInvitation, User, db
from services import roster_files
from tests.helpers import NOON, PASSWORD, assert_error, create_class, post

INVISIBLE = ["\ufeff", "\u200b", "\u200c", "\u200d", "\u2060", "\u00ad"]


def test_a_roster_file_of_a_million_blank_lines_is_refused_before_parsing(client, teacher, at, monkeypatch):
    at(NOON)
    readers = []
    real_reader = csv.reader
    monkeypatch.setattr(roster_files.csv, "reader", lambda *a, **k: readers.append(1) or real_reader(*a, **k))
    for blank in (b"\n", b"\r\n", b"\r", b" ,\n"):
        data = b"email\nzeb@school.test\n" + blank * (roster_files.MAX_BYTES // len(blank) - 40)
        response = create_class(client, teacher, roster=None, roster_file=(io.BytesIO(data), "roster.csv"))
        assert_error(response, 400, "bad_roster_file")
        assert "lines, more than" in response.get_json()["ERROR"]
    assert readers == []
    # a real roster with a blank line after each student still goes through
    fine = b"email\n" + b"".join(f"s{i}@school.test\n\n".encode() for i in range(roster_files.MAX_STUDENTS))
    assert len(roster_files.parse_csv(fine)) == roster_files.MAX_STUDENTS


@pytest.mark.parametrize("mark", INVISIBLE)
def test_an_invisible_character_in_an_address_makes_no_second_invitation(client, teacher, at, mark):
    at(NOON)
    roster = f"zeb@school.test,{mark}zeb@school.test,ze{mark}b@school.test,zeb@school.test{mark}"
    assert create_class(client, teacher, roster=roster).status_code == 200
    assert db.session.scalars(select(RosterInvitation.email)).all() == ["zeb@school.test"]


@pytest.mark.parametrize("mark", INVISIBLE)
def test_an_invisible_character_in_a_roster_file_makes_no_second_invitation(client, teacher, at, mark):
    at(NOON)
    data = f"\ufeffemail;name\nzeb@school.test;Zeb\n{mark}zeb@school.test;Zeb\nz{mark}eb@school.test;Zeb\n"
    response = create_class(client, teacher, roster=None, roster_file=(io.BytesIO(data.encode()), "r.csv"))
    assert response.status_code == 200, response.get_json()
    assert db.session.scalars(select(RosterInvitation.email)).all() == ["zeb@school.test"]


def test_an_invisible_character_in_a_login_or_registration_address_is_dropped(client, student):
    email, _ = student
    response = post(client, "login_student", email_id=f"\u200b{email}\ufeff", passwd_hash=PASSWORD)
    assert response.status_code == 200 and response.get_json()["email_id"] == email
    assert db.session.scalar(select(func.count()).select_from(User)) == 1


def test_the_docs_page_may_not_be_framed(client):
    policy = client.get("/api/v1/docs").headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in [p.strip() for p in policy.split(";")]
