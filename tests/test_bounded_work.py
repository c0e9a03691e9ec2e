"""Bounded work per upload: absurd images are refused from their header, a selfie's rescan
has a pixel ceiling, and registrations cannot crowd check-ins out of the face pipeline."""
import io
import threading
import time

import numpy as np
import pytest
from PIL import Image
from sqlalchemy import func, select

from models import FaceEncoding, User, db
from services import faces
from services.faces import detection, images
from services.errors import FaceProblem
from tests.helpers import NOON, PASSWORD, START, assert_error, create_class, post, slot_fields
from tools.hostile_images import blank_png, blank_webp, issue_images

ISSUE_IMAGES = issue_images()


def _register(client, data, **overrides):
    fields = {"email_id": "new@school.test", "name": "New", "passwd_hash": PASSWORD,
              "image_file": (io.BytesIO(data), "photo"), **overrides}
    return post(client, "register_student", **fields)


def _nothing_written():
    assert db.session.scalar(select(func.count()).select_from(User)) == 0
    assert db.session.scalar(select(func.count()).select_from(FaceEncoding)) == 0


@pytest.mark.parametrize("name, status, code", [
    ("png_1x50000000", 422, "bad_aspect_ratio"),
    ("png_50000000x1", 422, "bad_aspect_ratio"),
    ("webp_7000x7000_blank", 413, "too_many_pixels"),
])
def test_the_issues_hostile_images_are_refused_from_their_header(client, name, status, code, monkeypatch):
    # refused before a single pixel is decoded: the cost is the header's, whatever the size
    monkeypatch.setattr(images.Image.Image, "load", lambda self: pytest.fail("pixels decoded"))
    response = _register(client, ISSUE_IMAGES[name])
    assert_error(response, status, code)
    _nothing_written()


@pytest.mark.parametrize("name", sorted(ISSUE_IMAGES))
def test_hostile_selfies_are_refused_before_any_face_work(client, teacher, student, at, name, monkeypatch):
    monkeypatch.setattr(detection, "detect_selfie", lambda pixels: pytest.fail("decoded and scanned"))
    at(NOON)
    assert create_class(client, teacher).status_code == 200
    email, token = student
    response = post(client, "mark_attendance", token, email_id=email, **slot_fields(START),
                    image_file=(io.BytesIO(ISSUE_IMAGES[name]), "selfie"))
    assert response.status_code in (413, 422), response.get_json()
    assert response.get_json()["code"] in ("bad_aspect_ratio", "too_many_pixels")


def _png(width, height):
    buffer = io.BytesIO()
    Image.new("L", (width, height), 128).save(buffer, "PNG")
    return buffer.getvalue()


def test_an_aspect_ratio_over_20_to_1_is_refused_from_the_header(client):
    response = _register(client, _png(50, 1001))
    assert_error(response, 422, "bad_aspect_ratio")
    assert "20" in response.get_json()["ERROR"]
    _nothing_written()


def test_an_aspect_ratio_of_20_to_1_is_decoded():
    assert images.decode(_png(1000, 50), 50_000_000).shape == (50, 1000, 3)


def test_selfies_have_their_own_pixel_limit(client):
    # 30 MP is under MAX_IMAGE_PIXELS (50 MP, class photos) but over MAX_SELFIE_PIXELS (25 MP).
    response = _register(client, blank_png(6000, 5000))
    assert_error(response, 413, "too_many_pixels")
    assert "25000000" in response.get_json()["ERROR"]
    _nothing_written()


def test_max_selfie_pixels_is_a_setting_and_never_exceeds_max_image_pixels(settings):
    from app import create_app
    app = create_app({**settings, "MAX_SELFIE_PIXELS": 1_000_000})
    with app.app_context():
        assert_error(_register(app.test_client(), blank_png(1100, 1000)), 413, "too_many_pixels")
    capped = create_app({**settings, "MAX_SELFIE_PIXELS": 90_000_000, "MAX_IMAGE_PIXELS": 1_000_000})
    assert capped.extensions["rollcall_rules"].max_selfie_pixels == 1_000_000


def test_the_full_resolution_rescan_of_a_selfie_never_exceeds_12_mp(monkeypatch):
    scanned = []
    monkeypatch.setattr(detection, "retinaface_faces", lambda pixels: [])  # no face on the small copy

    def room(pixels):
        scanned.append(pixels.shape)
        h, w = pixels.shape[:2]
        return [detection.Box(h // 4, w // 2, h // 2, w // 4)]  # a face in the upper left quarter
    monkeypatch.setattr(detection, "detect_room", room)
    boxes = detection.detect_selfie(np.zeros((3000, 5000, 3), dtype=np.uint8))  # 15 MP
    (height, width, _), = scanned
    assert height * width <= detection.SELFIE_RESCAN_PIXELS
    box, = boxes
    # back in the full photo's coordinates
    assert abs(box.top - 750) <= 3 and abs(box.left - 1250) <= 3 and abs(box.right - 2500) <= 3


def _queued():
    """How many callers wait for the face pipeline."""
    return len(faces._pipeline_slot._queue)


def _wait_until(condition, seconds=10):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def _held_pipeline(monkeypatch, first):
    """A stand-in decode that records the order photos reach the pipeline and holds ``first``
    there until released; every photo then fails as faceless. Returns (order, started, release)."""
    started, release = threading.Event(), threading.Event()
    order = []

    def stand_in_decode(data, max_pixels):
        order.append(data.decode())
        if data == first:
            started.set()
            release.wait(10)
        raise FaceProblem("No face (stand-in pipeline).", code="no_face")
    monkeypatch.setattr(faces, "decode", stand_in_decode)
    return order, started, release


def test_a_check_in_waits_behind_at_most_one_registration(monkeypatch):
    """Three registrations and a check-in arrive while a registration runs: the check-in runs
    next, before the other registrations."""
    order, started, release = _held_pipeline(monkeypatch, b"registration 1")

    def run(call, data):
        try:
            call(data, 1)
        except FaceProblem:
            pass
    threads = [threading.Thread(target=run, args=(faces.registration_encoding, b"registration 1"))]
    threads[0].start()
    assert started.wait(10)
    for name in ("registration 2", "registration 3", "registration 4"):
        threads.append(threading.Thread(target=run, args=(faces.registration_encoding, name.encode())))
        threads[-1].start()
    time.sleep(0.2)  # the registrations are waiting before the check-in arrives
    waiting = _queued()
    threads.append(threading.Thread(target=run, args=(faces.probe_encodings, b"check-in")))
    threads[-1].start()
    _wait_until(lambda: _queued() == waiting + 1)  # the check-in waits for the pipeline
    release.set()
    for thread in threads:
        thread.join(10)
    assert order[:2] == ["registration 1", "check-in"], order
    assert sorted(order) == sorted(["registration 1", "registration 2", "registration 3", "registration 4",
                                    "check-in"])


def test_check_ins_take_the_pipeline_in_order_of_arrival(monkeypatch):
    order, started, release = _held_pipeline(monkeypatch, b"0")

    def run(data):
        try:
            faces.probe_encodings(data, 1)
        except FaceProblem:
            pass
    threads = [threading.Thread(target=run, args=(b"0",))]
    threads[0].start()
    assert started.wait(10)
    for i in range(1, 6):
        threads.append(threading.Thread(target=run, args=(str(i).encode(),)))
        threads[-1].start()
        _wait_until(lambda: _queued() == i)
    release.set()
    for thread in threads:
        thread.join(10)
    assert order == ["0", "1", "2", "3", "4", "5"]


@pytest.mark.face
def test_a_few_kilobytes_of_flat_image_are_not_searched_closely(client, monkeypatch):
    flat = blank_webp(5000, 5000)  # just under MAX_SELFIE_PIXELS, a few dozen KB
    assert len(flat) < 0.02 * 5000 * 5000
    # Decoding 25 MP costs what it costs; the search for faces must stay one quick pass on a
    # scaled-down copy, not the close rescan a detailed photo of this size gets, which takes
    # seconds of CPU.
    scans = []
    look = detection.retinaface_faces
    monkeypatch.setattr(detection, "retinaface_faces", lambda pixels: scans.append(pixels.shape) or look(pixels))
    monkeypatch.setattr(detection, "detect_room", lambda pixels: pytest.fail("rescanned closely"))
    response = _register(client, flat)
    assert_error(response, 422, "no_face")
    assert scans == [(detection.SELFIE_DETECT_SIDE, detection.SELFIE_DETECT_SIDE, 3)]
    _nothing_written()


@pytest.mark.face
def test_a_detailed_large_photo_is_still_rescanned_at_full_resolution(monkeypatch):
    rescanned = []
    monkeypatch.setattr(detection, "retinaface_faces", lambda pixels: [])
    monkeypatch.setattr(detection, "detect_room", lambda pixels: rescanned.append(pixels.shape) or [])
    pixels = np.zeros((3000, 4000, 3), dtype=np.uint8)
    detection.detect_selfie(pixels, upload_size=3_000_000)  # what a 12 MP camera JPEG weighs
    detection.detect_selfie(pixels, upload_size=60_000)  # a flat image of the same size
    assert rescanned == [(3000, 4000, 3)]
