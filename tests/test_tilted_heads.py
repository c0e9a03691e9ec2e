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


@pytest.mark.face
def test_small_heads_tilted_40_degrees_and_masked_faces_are_found_and_never_misnamed(client, school):
    """The class-photo detector finds faces the cascades missed (issue 25): 48-64 px heads tilted
    by 40 degrees, and faces behind a surgical mask. A masked face may go to review or stay
    unknown, but is never marked as another student."""
    create_class(client, school, roster=",".join(PEOPLE))
    people = list(PEOPLE)
    tilted = [posed(face_cutout(fixture_bytes(PEOPLE[p][1]), w), tilt, blur=1.0, shadow=0.3)
              for p, tilt, w in zip(people, [40, -40, 40, -40, 40], [48, 52, 56, 60, 64])]
    masked = [posed(face_cutout(fixture_bytes(PEOPLE[p][1]), 90), 0, mask=True) for p in people]
    image, centres = compose(tilted + masked, seed=5)
    body = photograph(client, school, image).get_json()
    assert len(body["faces"]) == 2 * len(people)
    for email, centre in zip(people + people, centres):
        face = _face_at(body, centre)
        assert face["status"] in ("matched", "needs_review", "unknown")
        if face["status"] == "matched":
            assert face["student_email_id"] == email
