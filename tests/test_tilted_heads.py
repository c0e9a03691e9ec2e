"""Class photos with tilted heads: found and recognised like upright ones (issue 14)."""
import pytest

from tools.rooms import compose, face_cutout, posed
from tests.helpers import PEOPLE, STRANGER, create_class, fixture_bytes, photograph
from tests.test_class_photo import _face_at


@pytest.mark.face
def test_heads_tilted_22_degrees_at_80_px_are_found_and_recognised(client, school):  # noqa: F811
    create_class(client, school, roster=",".join(PEOPLE))
    people = list(PEOPLE)
    tilts, widths = [22, -22, 23, -21, 22], [80, 78, 82, 80, 84]
    cutouts = [posed(face_cutout(fixture_bytes(PEOPLE[p][1]), w), tilt, shadow=0.3)
               for p, tilt, w in zip(people, tilts, widths)]
    cutouts.append(posed(face_cutout(fixture_bytes(STRANGER), 80), -22, shadow=0.3))
    image, centres = compose(cutouts, seed=3)
    body = photograph(client, school, image).get_json()
    assert len(body["faces"]) == len(people) + 1
    for email, centre in zip(people, centres):
        face = _face_at(body, centre)
        assert (face["status"], face["student_email_id"]) == ("matched", email)
    stranger = _face_at(body, centres[-1])
    assert stranger["status"] == "unknown" and stranger["student_email_id"] is None
    assert body["present"] == sorted(people) and body["absent"] == []
