"""Attendance from class photos, corrections and history: real photos through the real pipeline."""
import base64
import io

import numpy as np
import pytest
from PIL import Image
from sqlalchemy import select

from models import TEACHER, AttendanceEvent, AttendanceRecord, db
from services.faces import detection
from services.faces import match_faces
from services.faces.images import decode
from tests.helpers import (NOON, PEOPLE, START, STRANGER, assert_error, create_class, fixture_bytes,
                           photograph, post, slot_fields)
from tools.rooms import compose, face_cutout



def statuses():
    rows = db.session.execute(select(AttendanceRecord.student_id, AttendanceRecord.status,
                                     AttendanceRecord.method)).all()
    return {r.student_id: (r.status, r.method) for r in rows}


def matched(body):
    return sorted(f["student_email_id"] for f in body["faces"] if f["status"] == "matched")


@pytest.mark.face
def test_group_photo_marks_the_people_in_it(client, school):
    create_class(client, school, roster=",".join(["obama@school.test", "biden@school.test",
                                                  "rose@school.test", "kit@school.test"]))
    response = photograph(client, school, "obama_biden.jpg")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["present"] == ["biden@school.test", "obama@school.test"]
    assert body["absent"] == ["kit@school.test", "rose@school.test"]
    assert body["unknown_faces"] == 0 and body["needs_review"] == []
    assert matched(body) == ["biden@school.test", "obama@school.test"]
    for face in body["faces"]:
        box = face["box"]
        assert 0 <= box["x_min"] < box["x_max"] <= 1126 and 0 <= box["y_min"] < box["y_max"] <= 661
        assert face["distance"] < 0.5 and face["name"]
    assert "encoding" not in response.get_data(as_text=True)
    assert sorted(statuses().values(), key=str) == sorted([(None, None)] * 2 + [("present", "photo")] * 2, key=str)


@pytest.mark.face
def test_unregistered_child_is_unknown_even_with_everyone_on_the_roster(client, school):
    create_class(client, school, roster=",".join(PEOPLE))
    body = photograph(client, school, "biden_obama_unknown.jpg").get_json()
    assert matched(body) == ["biden@school.test", "obama@school.test"]
    assert body["unknown_faces"] == 1
    [child] = [f for f in body["faces"] if f["status"] == "unknown"]
    assert child["student_email_id"] is None and child["box"]["x_min"] > 1000  # the child, lower right
    assert len(body["faces"]) == 3 and body["needs_review"] == []


@pytest.mark.face
def test_boxes_are_in_upright_coordinates_of_an_exif_rotated_photo(client, school):
    create_class(client, school, roster=",".join(PEOPLE))
    upright = Image.open(io.BytesIO(fixture_bytes("obama_biden.jpg")))
    sideways = io.BytesIO()
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: stored turned left, to be shown turned right, as phones save it
    upright.rotate(90, expand=True).save(sideways, "JPEG", quality=95, exif=exif)
    rotated = photograph(client, school, sideways.getvalue()).get_json()
    straight = photograph(client, school, "obama_biden.jpg").get_json()
    assert matched(rotated) == matched(straight) == ["biden@school.test", "obama@school.test"]
    for a, b in zip(rotated["faces"], straight["faces"]):
        assert all(abs(a["box"][k] - b["box"][k]) <= 12 for k in a["box"]), (a["box"], b["box"])


@pytest.mark.face
def test_small_low_resolution_group_photo(client, school):
    create_class(client, school, roster=",".join(PEOPLE))
    photo = Image.open(io.BytesIO(fixture_bytes("biden_obama_unknown.jpg")))
    small = io.BytesIO()
    photo.resize((700, 500), Image.LANCZOS).save(small, "JPEG", quality=90)  # faces 50-75 px wide
    body = photograph(client, school, small.getvalue()).get_json()
    assert matched(body) == ["biden@school.test", "obama@school.test"]
    assert len(body["faces"]) == 3 and body["unknown_faces"] == 1


@pytest.mark.face
def test_a_later_photo_only_adds(client, school):
    create_class(client, school, roster=",".join(PEOPLE))
    first = photograph(client, school, "rose_kit.jpg").get_json()
    assert first["present"] == ["kit@school.test", "rose@school.test"]
    second = photograph(client, school, "obama_biden.jpg").get_json()
    assert second["present"] == ["biden@school.test", "kit@school.test", "obama@school.test", "rose@school.test"]
    assert second["absent"] == ["alex@school.test"]


@pytest.mark.face
def test_several_photos_in_one_request(client, school):
    create_class(client, school, roster=",".join(PEOPLE))
    body = photograph(client, school, "rose_kit.jpg", "obama_biden.jpg").get_json()
    assert len(body["present"]) == 4 and {f["image_index"] for f in body["faces"]} == {0, 1}


def _room(people, widths, stranger_width=90, seed=0):
    cutouts = [face_cutout(fixture_bytes(PEOPLE[p][1]), w) for p, w in zip(people, widths)]
    cutouts.append(face_cutout(fixture_bytes(STRANGER), stranger_width))
    order = np.argsort([c.width for c in cutouts], kind="stable")  # smallest at the back (top)
    image, centres = compose([cutouts[i] for i in order], seed=seed)
    who = [(list(people) + [None])[i] for i in order]
    return image, dict(zip(who, centres)) if len(set(who)) == len(who) else list(zip(who, centres))


def _face_at(body, centre):
    x, y = centre
    hits = [f for f in body["faces"] if f["box"]["x_min"] <= x <= f["box"]["x_max"]
            and f["box"]["y_min"] <= y <= f["box"]["y_max"]]
    assert len(hits) == 1, f"no single face found at {centre}"
    return hits[0]


@pytest.mark.face
def test_classroom_photo_with_small_faces_at_the_back(client, school):
    create_class(client, school, roster=",".join(PEOPLE))
    people = list(PEOPLE)
    image, centres = _room(people, widths=[50, 72, 95, 118, 140])
    body = photograph(client, school, image).get_json()
    assert len(body["faces"]) == len(people) + 1
    for email in people:
        face = _face_at(body, centres[email])
        assert (face["status"], face["student_email_id"]) == ("matched", email)
    stranger = _face_at(body, centres[None])
    assert stranger["status"] == "unknown" and stranger["student_email_id"] is None
    assert body["present"] == sorted(people) and body["absent"] == []


@pytest.mark.face
def test_a_person_twice_in_the_room_is_marked_at_most_once(client, school):
    create_class(client, school, roster=",".join(PEOPLE))
    people = list(PEOPLE) + ["obama@school.test"]
    image, placed = _room(people, widths=[60, 80, 100, 120, 140, 110], seed=1)
    body = photograph(client, school, image).get_json()
    obama_faces = [_face_at(body, centre) for who, centre in placed if who == "obama@school.test"]
    assert len(obama_faces) == 2
    assert sum(f["student_email_id"] == "obama@school.test" for f in obama_faces) <= 1
    assert sum(f["student_email_id"] == "obama@school.test" for f in body["faces"]) <= 1
    assert "obama@school.test" in body["present"]


@pytest.mark.face
def test_empty_roster_identifies_nobody(client, school):
    """The attack of issue 8: a new teacher, an empty roster, a group photo of enrolled students."""
    create_class(client, school, roster="")
    response = photograph(client, school, "obama_biden.jpg", annotate="1")
    assert response.status_code == 200
    body = response.get_json()
    assert [f["status"] for f in body["faces"]] == ["unknown", "unknown"]
    assert body["roster_empty"] is True and "roster is empty" in body["SUCCESS"]
    assert body["present"] == body["absent"] == body["needs_review"] == [] and body["unknown_faces"] == 2
    text = response.get_data(as_text=True).lower()
    assert "obama" not in text and "biden" not in text and "barack" not in text
    assert statuses() == {}


@pytest.mark.face
def test_only_the_roster_can_be_named(client, school):
    """A roster of biden alone: obama in the same photo is unknown, and never a candidate."""
    create_class(client, school, roster="biden@school.test")
    response = photograph(client, school, "obama_biden.jpg", annotate="1")
    body = response.get_json()
    assert matched(body) == ["biden@school.test"] and body["roster_empty"] is False
    assert sorted(f["status"] for f in body["faces"]) == ["matched", "unknown"]
    assert all("candidates" not in f for f in body["faces"]) and body["needs_review"] == []
    assert "obama" not in response.get_data(as_text=True).lower()
    assert body["present"] == ["biden@school.test"] and len(statuses()) == 1


@pytest.mark.face
def test_annotated_image_is_a_jpeg_of_the_photo(client, school):
    create_class(client, school, roster=",".join(PEOPLE))
    body = photograph(client, school, "biden_obama_unknown.jpg", annotate="1").get_json()
    image = Image.open(io.BytesIO(base64.b64decode(body["annotated_image"])))
    assert image.format == "JPEG" and abs(image.width / image.height - 2000 / 1428) < 0.01
    assert "annotated_image" not in photograph(client, school, "obama_biden.jpg").get_json()


def test_class_photo_errors(client, school, make_user, at):
    create_class(client, school, roster=",".join(PEOPLE))
    email, token = school
    no_photo = post(client, "mark_class_attendance", token, teacher_email_id=email, **slot_fields(START))
    assert no_photo.status_code == 400 and no_photo.get_json()["code"] == "missing_field"
    not_image = photograph(client, school, b"plain text, not a photo")
    assert_error(not_image, 415, "not_an_image")
    other = make_user("other@school.test", TEACHER)
    assert_error(photograph(client, other, "obama_biden.jpg"), 403, "not_yours")
    at(NOON.replace(hour=8))
    early = photograph(client, school, "obama_biden.jpg")
    assert early.status_code == 409 and early.get_json()["code"] == "not_open"
    assert {s for s, _ in statuses().values()} == {None}


def _set(client, teacher, student_email, status, **extra):
    email, token = teacher
    return post(client, "set_attendance", token, teacher_email_id=email, student_email_id=student_email,
                status=status, **slot_fields(START), **extra)


def _history(client, teacher, **fields):
    email, token = teacher
    return post(client, "get_attendance_history", token, teacher_email_id=email, **fields)


def test_manual_corrections_are_recorded_with_who_and_when(client, school):
    create_class(client, school, roster="obama@school.test,biden@school.test")
    response = _set(client, school, "obama@school.test", "excused", note="dentist")
    assert response.status_code == 200
    record = response.get_json()["record"]
    assert (record["status"], record["method"], record["attendance_marked"]) == ("excused", "manual", 0)
    present = _set(client, school, "obama@school.test", "present").get_json()["record"]
    assert present["attendance_marked"] == 1 and present["marked_time"].startswith("2026-03-02T12:00")
    history = _history(client, school, **slot_fields(START)).get_json()
    assert [(h["from_status"], h["to_status"], h["note"]) for h in history] == [
        ("excused", "present", None), (None, "excused", "dentist")]
    assert {h["by"] for h in history} == {"teacher@school.test"} and history[0]["at"].startswith("2026-03-02T12:00")
    by_student = _history(client, school, student_email_id="obama@school.test").get_json()
    assert by_student == history
    assert _history(client, school, student_email_id="biden@school.test").get_json() == []


@pytest.mark.face
def test_history_includes_photo_and_selfie_markings(client, school):
    create_class(client, school, roster=",".join(PEOPLE))
    photograph(client, school, "rose_kit.jpg")
    history = _history(client, school, **slot_fields(START)).get_json()
    assert sorted((h["student_email_id"], h["method"], h["to_status"]) for h in history) == [
        ("kit@school.test", "photo", "present"), ("rose@school.test", "photo", "present")]
    assert all(0 < h["distance"] < 0.6 for h in history)


def test_corrections_are_limited_to_the_teachers_own_sessions(client, school, make_user):
    create_class(client, school, roster="obama@school.test")
    other = make_user("other@school.test", TEACHER)
    response = _set(client, other, "obama@school.test", "absent")
    assert response.status_code == 403 and response.get_json()["code"] == "not_yours"
    assert_error(_history(client, other, **slot_fields(START)), 403, "not_yours")
    assert _history(client, other, student_email_id="obama@school.test").get_json() == []
    assert db.session.scalars(select(AttendanceEvent)).all() == []


@pytest.mark.parametrize("fields, status, code", [
    ({"status": "asleep"}, 400, "bad_field"),
    ({"student_email_id": "ghost@school.test"}, 404, "not_on_roster"),
    ({"class_name": "Nope"}, 404, "no_such_class"),
])
def test_bad_corrections(client, school, fields, status, code):
    create_class(client, school, roster="obama@school.test")
    email, token = school
    body = {"teacher_email_id": email, "student_email_id": "obama@school.test", "status": "present",
            **slot_fields(START)}
    response = post(client, "set_attendance", token, **{**body, **fields})
    assert response.status_code == status and response.get_json()["code"] == code
    assert {s for s, _ in statuses().values()} == {None}


@pytest.mark.face
def test_added_face_is_used_for_matching(client, make_user, at):
    email, token = make_user("obama@school.test", photo="biden.jpg")  # enrolled with the wrong photo
    teacher = make_user("teacher@school.test", TEACHER, photo=STRANGER)
    at(NOON)
    create_class(client, teacher)
    selfie = {"email_id": email, **slot_fields(START)}
    first = post(client, "mark_attendance", token, image_file=(io.BytesIO(fixture_bytes("obama_2.jpg")), "s.jpg"),
                 **selfie)
    assert first.get_json()["code"] == "face_mismatch"
    added = post(client, "add_face", token, email_id=email,
                 image_file=(io.BytesIO(fixture_bytes("obama.jpg")), "o.jpg"))
    assert added.status_code == 200 and added.get_json()["faces_enrolled"] == 2
    second = post(client, "mark_attendance", token, image_file=(io.BytesIO(fixture_bytes("obama_2.jpg")), "s.jpg"),
                  **selfie)
    assert second.status_code == 200


@pytest.mark.face
def test_add_face_follows_the_enrollment_rules(client, student):
    email, token = student
    for photo, code in [("no_face.jpg", "no_face"), ("obama_biden.jpg", "multiple_faces")]:
        response = post(client, "add_face", token, email_id=email, image_file=(io.BytesIO(fixture_bytes(photo)), photo))
        assert response.status_code == 422 and response.get_json()["code"] == code
    assert post(client, "get_profile", token, email_id=email).get_json()["faces_enrolled"] == 1


# ---- the matching rule on its own (distances made up; the pipeline is tested above) ----

def test_one_to_one_assignment_prefers_the_best_overall_pairing():
    distance = np.array([[0.30, 0.90], [0.35, 0.40]])
    matches = match_faces(distance, tolerance=0.6, review_band=0.0, margin=0.1)
    assert [(m.decision, m.candidate) for m in matches] == [("matched", 0), ("needs_review", 1)]


def test_a_face_close_to_two_students_is_left_for_review():
    matches = match_faces(np.array([[0.40, 0.45, 0.9]]), tolerance=0.6, review_band=0.0, margin=0.1)
    assert matches[0].decision == "needs_review" and [c for c, _ in matches[0].candidates] == [0, 1]


def test_uncertain_band_and_strangers():
    matches = match_faces(np.array([[0.59, 0.95], [0.80, 0.70], [0.30, 0.95]]), tolerance=0.62,
                          review_band=0.04, margin=0.1)
    assert [m.decision for m in matches] == ["needs_review", "unknown", "matched"]


def test_two_faces_of_one_student_mark_one_face():
    matches = match_faces(np.array([[0.35], [0.37]]), tolerance=0.6, review_band=0.0, margin=0.1)
    assert [m.decision for m in matches] == ["matched", "needs_review"]


@pytest.mark.parametrize("height, width", [(3000, 4000), (4000, 3000), (1300, 5000), (1281, 1281), (2000, 900)])
def test_detector_tiles_are_equal_cover_the_photo_and_overlap(height, width):
    from services.faces import retinaface

    tiles = retinaface._tiles(height, width)
    assert len({(bottom - top, right - left) for top, left, bottom, right in tiles}) == 1
    covered = np.zeros((height, width), dtype=bool)
    for top, left, bottom, right in tiles:
        assert 0 <= top < bottom <= height and 0 <= left < right <= width
        covered[top:bottom, left:right] = True
    assert covered.all()
    for axis in (0, 1):
        starts = sorted({tile[axis] for tile in tiles})
        ends = sorted({tile[axis + 2] for tile in tiles})
        assert all(end - start >= retinaface.TILE_OVERLAP for start, end in zip(starts[1:], ends))


def test_a_tile_keeps_no_box_at_an_edge_it_shares():
    from services.faces import retinaface

    margin = retinaface.TILE_EDGE_MARGIN
    boxes = np.array([[2, 50, 40, 90, 0.9],          # at the photo's own left edge: kept
                      [50, 2, 90, 40, 0.9],          # at the top edge, shared with the tile above
                      [50, 50, 90, 90, 0.9],         # inside: kept
                      [50, 50, 50 + retinaface.TILE_OVERLAP, 90, 0.9],  # too wide for a tile
                      [200, 50, 300 - margin + 1, 90, 0.9]])  # at the right edge, shared
    kept = retinaface._whole_faces(boxes, 100, 0, 400, 300, 1000, 1000)
    assert kept[:, :4].tolist() == [[2, 50, 40, 90], [50, 50, 90, 90]]


@pytest.mark.face
def test_encoding_while_the_detector_runs_gives_what_one_step_after_the_other_gives():
    from services import faces

    image = _room(list(PEOPLE), widths=[50, 72, 95, 118, 140])[0]
    pixels = decode(image, 50_000_000)
    assert pixels.shape[0] * pixels.shape[1] > 4 * 1280 * 1280  # the photo is looked at in tiles
    _, boxes, encodings = faces.room_encodings(image, 50_000_000)
    one_after_the_other = detection.detect_room(pixels)
    assert boxes == one_after_the_other and len(boxes) == len(PEOPLE) + 1
    assert np.array_equal(encodings, faces.encode(pixels, one_after_the_other))


@pytest.mark.face
def test_a_failure_of_the_detectors_thread_fails_the_photo(monkeypatch):
    from services import faces
    from services.faces import retinaface

    passes = []
    network = retinaface.face_detector_network()

    def failing_third_pass(blob):
        passes.append(blob.shape)
        if len(passes) == 3:
            raise MemoryError("out of memory")
        return network(blob)

    monkeypatch.setattr(retinaface, "face_detector_network", lambda: failing_third_pass)
    with pytest.raises(MemoryError):
        faces.room_encodings(_room(list(PEOPLE), widths=[50, 72, 95, 118, 140])[0], 50_000_000)
    assert len(passes) == 3
    assert not retinaface._lock.locked()
