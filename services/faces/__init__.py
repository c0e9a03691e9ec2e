"""The face pipeline, a package of its own: here its entry points (bytes in, encodings out) and
the face maths; beside them images (decode, orient), detection, models (loaded once per
process), processes (the face process) and annotation (boxes drawn on a class photo).

decode (images) -> detect (detection) -> encode (dlib ResNet, from the full-resolution
pixels) -> compare: a selfie is verified against the student's own templates, and the faces
of a class photo are assigned one-to-one to the roster. Stored templates are written and
read here too. Knows nothing of Flask or the database.
"""
import collections
import functools
import threading
from dataclasses import dataclass

import numpy as np

from services import timing
from services.faces import processes as face_processes
from services.faces.detection import detect_room, detect_selfie, subjects, warm_up
from services.errors import FaceProblem
from services.faces.models import dlib_models
from services.faces.images import decode


class _TurnSlot:
    """One holder at a time, granted in order of arrival: a releasing holder hands the slot
    to the longest waiter, so no newcomer overtakes a request already queued."""

    def __init__(self):
        self._lock = threading.Lock()
        self._held = False
        self._queue = collections.deque()

    def __enter__(self):
        with self._lock:
            if not self._held:
                self._held = True
                return self
            turn = threading.Event()
            self._queue.append(turn)
        turn.wait()  # the slot is ours when set: the holder passed it on without freeing it
        return self

    def __exit__(self, *exc):
        with self._lock:
            if self._queue:
                self._queue.popleft().set()
            else:
                self._held = False


# dlib's encoder holds the GIL for the whole of each face, so concurrent
# calls in one process only take turns. Under a server they run in its face process
# (services/faces/processes.py), which takes one at a time; here they queue in order of arrival,
# which bounds the memory of decoded photos and lets registrations wait apart (below).
_pipeline_slot = _TurnSlot()
# Registration is face work anyone can ask for without logging in. A registration holds this
# before it queues for the pipeline and until it is done, so at most one registration per
# process is in the pipeline's queue or running: a check-in waits behind at most one.
_registration_slot = threading.BoundedSemaphore(1)


def _one_at_a_time(pipeline):
    @functools.wraps(pipeline)
    def bounded(*args, **kwargs):
        with _pipeline_slot:
            return pipeline(*args, **kwargs)
    return bounded


def load_models():
    """Everything the pipeline runs, loaded now: once in a process that forks workers, so they
    share it (the models, the detection threads' detector copies, the matcher's scipy)."""
    dlib_models()
    warm_up()
    import scipy.optimize  # noqa: F401 - a slow import, done once here instead of in each child


def encode(pixels, boxes):
    """dlib's 128-d descriptor of each box, computed from the given (full-resolution) pixels."""
    if not boxes:
        return []
    with timing.phase("encode"):
        return _encode_crops([_crop_around(pixels, b) for b in boxes])


def _crop_around(pixels, box):
    """The face with a margin of one face width: all the landmark model and encoder look at,
    so no copy of a 12 MP photo is made per face."""
    height, width = pixels.shape[:2]
    top, left = max(box.top - box.width, 0), max(box.left - box.width, 0)
    bottom, right = min(box.bottom + box.width, height), min(box.right + box.width, width)
    crop = np.ascontiguousarray(pixels[top:bottom, left:right])
    return crop, (box.left - left, box.top - top, box.right - left, box.bottom - top)


def _encode_crops(crops):
    import dlib
    fr = dlib_models()
    encodings = []
    for crop, (left, top, right, bottom) in crops:
        shape = fr.pose_predictor_5_point(crop, dlib.rectangle(left, top, right, bottom))
        encodings.append(np.array(fr.face_encoder.compute_face_descriptor(crop, shape, 1), dtype=np.float64))
    return encodings


@_one_at_a_time
def enrollment_encoding(data, max_pixels):
    """The encoding of the one face in an enrollment photo."""
    return face_processes.run(_enrollment_encoding, data, max_pixels)


def registration_encoding(data, max_pixels):
    """enrollment_encoding for an unauthenticated registration: one at a time per process."""
    with _registration_slot:
        return enrollment_encoding(data, max_pixels)


@_one_at_a_time
def probe_encodings(data, max_pixels):
    """Encodings of every face in a check-in selfie (the subject may not be alone)."""
    return face_processes.run(_probe_encodings, data, max_pixels)


@_one_at_a_time
def kiosk_encoding(data, max_pixels):
    """The encoding of the largest face in a door kiosk's camera frame, or None when it shows none."""
    return face_processes.run(_kiosk_encoding, data, max_pixels)


@_one_at_a_time
def room_encodings(data, max_pixels, keep_pixels=False):
    """(upright pixels if ``keep_pixels`` else None, face boxes, their encodings) of a class photo."""
    return face_processes.run(_room_encodings, data, max_pixels, keep_pixels)


def _enrollment_encoding(data, max_pixels):
    pixels = decode(data, max_pixels)
    found = subjects(detect_selfie(pixels, len(data)))
    if not found:
        raise FaceProblem("No face was found in the photo; use a well-lit, front-facing photo.",
                          code="no_face")
    if len(found) > 1:
        raise FaceProblem(f"The photo shows {len(found)} faces; it must show only yours.",
                          code="multiple_faces")
    return encode(pixels, found)[0]


def _probe_encodings(data, max_pixels):
    pixels = decode(data, max_pixels)
    boxes = detect_selfie(pixels, len(data))
    if not boxes:
        raise FaceProblem("No face was found in the selfie; face the camera in good light.",
                          code="no_face")
    return encode(pixels, boxes)


def _kiosk_encoding(data, max_pixels):
    """Only the largest face is encoded: it is the one stepping up to the camera, and the
    people queuing behind it are neither recognised nor worth an encoder's turn."""
    pixels = decode(data, max_pixels)
    boxes = detect_selfie(pixels, len(data))
    if not boxes:
        return None
    largest = max(boxes, key=lambda box: box.width * (box.bottom - box.top))
    return encode(pixels, [largest])[0]


def _room_encodings(data, max_pixels, keep_pixels):
    """Each face is encoded as soon as the detector finds it, while it looks at the rest of the
    photo (dlib's encoder holds the GIL; the detector's network does not)."""
    pixels = decode(data, max_pixels)
    encoded = {}

    def encode_once(box):
        if box not in encoded:
            encoded[box] = encode(pixels, [box])[0]

    boxes = detect_room(pixels, on_face=encode_once)
    return (pixels if keep_pixels else None), boxes, [encoded[box] for box in boxes]


# ---- stored templates --------------------------------------------------------------------

def to_bytes(encoding):
    return np.asarray(encoding, dtype=np.float64).tobytes()


def from_bytes(raw):
    return np.frombuffer(raw, dtype=np.float64)


def gallery(templates):
    """(owner ids, n x 128 matrix) from stored (owner id, template bytes) pairs."""
    templates = list(templates)
    if not templates:
        return [], np.empty((0, 128))
    return [owner for owner, _ in templates], np.stack([from_bytes(raw) for _, raw in templates])


# ---- comparing ---------------------------------------------------------------------------

def distances(known, probe):
    """Euclidean distance from ``probe`` to each row of ``known`` (n x 128)."""
    return np.linalg.norm(np.asarray(known) - probe, axis=1)


def verify(probes, known):
    """The smallest distance between any face of a selfie and any of a student's templates."""
    return min(float(distances(known, probe).min()) for probe in probes)


@dataclass(frozen=True)
class Match:
    """What one face in a class photo is: ``matched`` to a candidate, ``needs_review`` (a
    plausible candidate, not certain enough to mark), or ``unknown``."""
    decision: str
    candidate: int | None = None
    distance: float | None = None
    candidates: tuple = ()  # (candidate, distance) under the tolerance, nearest first


def per_candidate_distances(probes, known, owners):
    """faces x candidates matrix: each candidate's distance is that of its closest enrolled face.

    ``owners[k]`` is the candidate index of ``known[k]``; candidates are 0..max(owners).
    """
    n_candidates = (max(owners) + 1) if len(owners) else 0
    result = np.full((len(probes), n_candidates), np.inf)
    if len(probes) and len(owners):
        probes, known = np.asarray(probes), np.asarray(known)
        # |a-b|^2 = |a|^2 + |b|^2 - 2ab: one matrix product instead of a faces x gallery x 128 array
        squared = (probes ** 2).sum(1)[:, None] + (known ** 2).sum(1)[None, :] - 2 * probes @ known.T
        every = np.sqrt(np.maximum(squared, 0.0))
        np.minimum.at(result, (slice(None), np.asarray(owners)), every)
    return result


def match_faces(distance, tolerance, review_band, margin):
    """One-to-one assignment of faces (rows) to candidates (columns) under ``tolerance``.

    The assignment minimises the summed distance, so no candidate gets two faces and no face
    two candidates. A face is marked only when its distance is at most tolerance - review_band
    and every other candidate is at least ``margin`` further away; otherwise a face with a
    candidate under the tolerance needs review, and one without is unknown.
    """
    from scipy.optimize import linear_sum_assignment

    n_faces, n_candidates = distance.shape
    assigned = {}
    if n_faces and n_candidates:
        admissible = np.where(distance <= tolerance, distance, 1e6)
        rows, columns = linear_sum_assignment(admissible)
        assigned = {r: c for r, c in zip(rows, columns) if distance[r, c] <= tolerance}
    matches = []
    for face in range(n_faces):
        row = distance[face]
        nearest = [int(c) for c in np.argsort(row)[:3] if row[c] <= tolerance]
        candidates = tuple((c, float(row[c])) for c in nearest)
        if face not in assigned:
            matches.append(Match("needs_review" if candidates else "unknown", candidates=candidates))
            continue
        chosen = int(assigned[face])
        next_best = np.min(np.delete(row, chosen)) if n_candidates > 1 else np.inf
        certain = row[chosen] <= tolerance - review_band and next_best - row[chosen] >= margin
        matches.append(Match("matched" if certain else "needs_review", chosen, float(row[chosen]), candidates))
    return matches


def assign(encodings, owners, known, tolerance, review_band, margin):
    """One-to-one matching of a class photo's faces to the people who own ``known``.

    ``owners[k]`` is the owner (a student id) of template ``known[k]``; a person may own
    several. Returns one Match per face, whose ``candidate`` and ``candidates`` name owners.
    """
    people = sorted(set(owners))
    column = {owner: i for i, owner in enumerate(people)}
    distance = per_candidate_distances(encodings, known, [column[o] for o in owners])
    return [Match(m.decision, None if m.candidate is None else people[m.candidate], m.distance,
                  tuple((people[c], d) for c, d in m.candidates))
            for m in match_faces(distance, tolerance, review_band, margin)]
