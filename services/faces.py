"""The face pipeline: bytes in, plain data out. Knows nothing of Flask or the database.

decode (format check, pixel limit, EXIF orientation, to RGB) -> detect (dlib HOG on a
bounded copy of a selfie; for class photos also OpenCV's Haar cascade, for small faces) ->
encode (dlib ResNet, from the full-resolution pixels) -> compare (vectorised Euclidean
distances) and, for class photos, a one-to-one assignment of faces to students.
"""
import functools
import io
import threading
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

from services import timing
from services.errors import FaceProblem, NotAnImage, TooLarge

ACCEPTED_FORMATS = {"JPEG", "MPO", "PNG", "WEBP"}
# Selfies are detected on a copy whose longer side is at most this; faces in a selfie are
# large, and HOG's cost grows with the pixel count.
SELFIE_DETECT_SIDE = 1024
# A face this much narrower than the largest one in the photo is a bystander in the
# background, not a second subject.
BACKGROUND_FACE_RATIO = 0.4

# Pillow's own bomb check would raise at twice its default limit; ours runs first, from
# the header, before any pixel is decoded.
Image.MAX_IMAGE_PIXELS = None

_models = None

# dlib's encoder holds the GIL (~25 ms a face with OpenBLAS, ~100 ms without), so concurrent
# check-ins in one process only take turns, and each one in flight stalls that process's other
# threads (the reads) a bit longer. One at a time per process bounds both the stall and the
# memory of decoded photos; waiting here releases the GIL.
_pipeline_slot = threading.BoundedSemaphore(1)


def _one_at_a_time(pipeline):
    @functools.wraps(pipeline)
    def bounded(*args, **kwargs):
        with _pipeline_slot:
            return pipeline(*args, **kwargs)
    return bounded


def models():
    """dlib's detector, landmark predictor and encoder, loaded once per process."""
    global _models
    if _models is None:
        import face_recognition.api as fr  # loads the model files shipped with face_recognition_models
        # face_recognition turns on decoding of truncated files; a cut-off upload must be refused.
        ImageFile.LOAD_TRUNCATED_IMAGES = False
        _models = fr
    return _models


@dataclass(frozen=True)
class Box:
    top: int
    right: int
    bottom: int
    left: int

    @property
    def width(self):
        return self.right - self.left

    def as_dict(self):
        return {"x_min": self.left, "y_min": self.top, "x_max": self.right, "y_max": self.bottom}


def decode(data, max_pixels):
    """Upright RGB pixels of an uploaded JPEG, PNG or WebP, or a clear error."""
    with timing.phase("decode"):
        return _decode(data, max_pixels)


def _decode(data, max_pixels):
    try:
        image = Image.open(io.BytesIO(data))
    except (UnidentifiedImageError, OSError, ValueError):
        raise NotAnImage("The upload is not an image; send a JPEG, PNG or WebP photo.") from None
    if image.format not in ACCEPTED_FORMATS:
        raise NotAnImage(f"{image.format} images are not accepted; send a JPEG, PNG or WebP photo.")
    width, height = image.size
    if width * height > max_pixels:
        raise TooLarge(f"The image has {width}x{height} pixels; the limit is {max_pixels} pixels.",
                       code="too_many_pixels")
    try:
        image.load()
        image = _upright(image)
        return _to_rgb(image)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        raise NotAnImage("The image is damaged or truncated and cannot be read.",
                         code="unreadable_image") from None


def _upright(image):
    try:
        return ImageOps.exif_transpose(image)
    except Exception:  # a malformed EXIF block only loses the orientation hint
        return image


def _to_rgb(image):
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "F"):
        wide = np.asarray(image, dtype=np.float64)
        top = wide.max() or 1.0
        image = Image.fromarray((wide * (255.0 / max(top, 255.0))).astype(np.uint8))
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(white, rgba)
    return np.ascontiguousarray(np.asarray(image.convert("RGB"), dtype=np.uint8))


def _resized(pixels, scale):
    if scale == 1.0:
        return pixels
    height, width = pixels.shape[:2]
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return np.asarray(Image.fromarray(pixels).resize(size, Image.BILINEAR))


def _hog(pixels, upsample):
    fr = models()
    return [(r.top(), r.right(), r.bottom(), r.left()) for r in fr.face_detector(pixels, upsample)]


def detect_selfie(pixels):
    """Face boxes in full-resolution coordinates, found on a copy at most SELFIE_DETECT_SIDE wide.

    One upsampled retry catches faces under HOG's 80 px window (small or distant selfies);
    when the copy was scaled down and still shows no face, the class-photo detector looks at
    the full resolution, for a face that is small in a large photo.
    """
    with timing.phase("detect"):
        height, width = pixels.shape[:2]
        scale = min(1.0, SELFIE_DETECT_SIDE / max(height, width))
        small = _resized(pixels, scale)
        found = _hog(small, 0) or _hog(small, 1)
        if found or scale == 1.0:
            return [_clip(_scaled(box, 1.0 / scale), height, width) for box in found]
    return detect_room(pixels)


def _scaled(box, factor):
    return tuple(int(round(v * factor)) for v in box)


def _clip(box, height, width):
    top, right, bottom, left = box
    return Box(max(top, 0), min(right, width), min(bottom, height), max(left, 0))


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
    fr = models()
    encodings = []
    for crop, (left, top, right, bottom) in crops:
        shape = fr.pose_predictor_5_point(crop, dlib.rectangle(left, top, right, bottom))
        encodings.append(np.array(fr.face_encoder.compute_face_descriptor(crop, shape, 1), dtype=np.float64))
    return encodings


def subjects(boxes):
    """The boxes that are subjects of the photo, dropping small background faces."""
    if not boxes:
        return []
    largest = max(b.width for b in boxes)
    return [b for b in boxes if b.width >= BACKGROUND_FACE_RATIO * largest]


@_one_at_a_time
def enrollment_encoding(data, max_pixels):
    """The encoding of the one face in an enrollment photo."""
    pixels = decode(data, max_pixels)
    faces = subjects(detect_selfie(pixels))
    if not faces:
        raise FaceProblem("No face was found in the photo; use a well-lit, front-facing photo.",
                          code="no_face")
    if len(faces) > 1:
        raise FaceProblem(f"The photo shows {len(faces)} faces; it must show only yours.",
                          code="multiple_faces")
    return encode(pixels, faces)[0]


@_one_at_a_time
def probe_encodings(data, max_pixels):
    """Encodings of every face in a check-in selfie (the subject may not be alone)."""
    pixels = decode(data, max_pixels)
    boxes = detect_selfie(pixels)
    if not boxes:
        raise FaceProblem("No face was found in the selfie; face the camera in good light.",
                          code="no_face")
    return encode(pixels, boxes)


@_one_at_a_time
def room_encodings(data, max_pixels):
    """(upright pixels, face boxes, their encodings) of a class photo."""
    pixels = decode(data, max_pixels)
    boxes = detect_room(pixels)
    return pixels, boxes, encode(pixels, boxes)


def distances(known, probe):
    """Euclidean distance from ``probe`` to each row of ``known`` (n x 128)."""
    return np.linalg.norm(np.asarray(known) - probe, axis=1)


def from_bytes(raw):
    return np.frombuffer(raw, dtype=np.float64)


# ---- class photos ------------------------------------------------------------------------
# A 12 MP room photo holds faces from ~50 px (back row) to several hundred px wide. dlib's
# HOG finds faces of ~80 px and up, at a cost that grows with the pixels it scans: over 12 MP
# upsampled it takes ~10 s here. So HOG scans a copy resized to ROOM_HOG_PIXELS (a half-size
# copy of a 12 MP photo, an upsampled one of a small photo, where it then also finds small
# faces), and OpenCV's Haar cascade scans the full image for faces down to HAAR_MIN_FACE
# (fast, but it also fires on texture); every Haar candidate HOG did not find is confirmed by
# HOG on a small crop scaled so the face is ~110 px, which also gives dlib's own box shape
# that the landmark model expects.
ROOM_HOG_PIXELS = 3_000_000
HAAR_MIN_FACE = 36
CONFIRM_FACE_SIZE = 110


_haar_cascade = None


def _haar():
    global _haar_cascade
    if _haar_cascade is None:
        import cv2
        _haar_cascade = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_alt2.xml")
    return _haar_cascade


def _gray(pixels):
    return np.asarray(Image.fromarray(pixels).convert("L"))


def _confirm(gray, x, y, w, h):
    """dlib's box for a Haar candidate (full-resolution coordinates), or None."""
    height, width = gray.shape
    pad = w // 2
    left, top = max(x - pad, 0), max(y - pad, 0)
    right, bottom = min(x + w + pad, width), min(y + h + pad, height)
    scale = CONFIRM_FACE_SIZE / w
    crop = _resized(np.ascontiguousarray(gray[top:bottom, left:right]), scale)
    boxes = [_clip((round(top + t / scale), round(left + r / scale), round(top + b / scale), round(left + l / scale)),
                   height, width) for t, r, b, l in _hog(crop, 0)]
    if not boxes:
        return None
    cx, cy = x + w / 2, y + h / 2
    best = min(boxes, key=lambda box: abs((box.left + box.right) / 2 - cx) + abs((box.top + box.bottom) / 2 - cy))
    return best if best.left <= cx <= best.right and best.top <= cy <= best.bottom else None


def _overlap(a, b):
    inter_w = min(a.right, b.right) - max(a.left, b.left)
    inter_h = min(a.bottom, b.bottom) - max(a.top, b.top)
    if inter_w <= 0 or inter_h <= 0:
        return 0.0
    inter = inter_w * inter_h
    return inter / min(a.width * (a.bottom - a.top), b.width * (b.bottom - b.top))


def detect_room(pixels):
    """Every face in a class photo, small ones included, in full-resolution coordinates."""
    with timing.phase("detect"):
        return _detect_room(pixels)


def _detect_room(pixels):
    height, width = pixels.shape[:2]
    gray = _gray(pixels)
    overview_scale = min(2.0, (ROOM_HOG_PIXELS / (height * width)) ** 0.5)
    boxes = [_clip(_scaled(b, 1 / overview_scale), height, width)
             for b in _hog(_resized(gray, overview_scale), 0)]
    candidates = _haar().detectMultiScale(gray, scaleFactor=1.1, minNeighbors=4,
                                          minSize=(HAAR_MIN_FACE, HAAR_MIN_FACE))
    for x, y, w, h in candidates:
        if any(_overlap(Box(y, x + w, y + h, x), b) > 0.4 for b in boxes):
            continue
        box = _confirm(gray, int(x), int(y), int(w), int(h))
        if box is not None and not any(_overlap(box, b) > 0.4 for b in boxes):
            boxes.append(box)
    return sorted(boxes, key=lambda b: (b.left, b.top))


# ---- matching ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Match:
    """What one face in a class photo is: ``matched`` to a candidate, ``needs_review`` (a
    plausible candidate, not certain enough to mark), or ``unknown``."""
    decision: str
    candidate: int | None = None
    distance: float | None = None
    candidates: tuple = ()  # (candidate index, distance) under the tolerance, nearest first


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


# ---- annotation --------------------------------------------------------------------------
ANNOTATION_SIDE = 2000
COLOURS = {"matched": (40, 200, 80), "needs_review": (255, 170, 0), "unknown": (230, 40, 40)}


def annotate(pixels, labelled):
    """A JPEG of the photo with one box per face: ``labelled`` is [(Box, decision, label)].

    Matched faces are green, faces to review amber, unknown faces red; the copy is scaled to
    at most ANNOTATION_SIDE pixels so the answer stays small.
    """
    from PIL import ImageDraw

    image = Image.fromarray(pixels)
    scale = min(1.0, ANNOTATION_SIDE / max(image.size))
    if scale < 1.0:
        image = image.resize((round(image.width * scale), round(image.height * scale)), Image.BILINEAR)
    draw = ImageDraw.Draw(image)
    line = max(2, round(max(image.size) / 600))
    for box, decision, label in labelled:
        colour = COLOURS[decision]
        rect = [box.left * scale, box.top * scale, box.right * scale, box.bottom * scale]
        draw.rectangle(rect, outline=colour, width=line)
        text_top = max(0, rect[1] - 14)
        draw.rectangle([rect[0], text_top, rect[0] + 7 * len(label) + 6, text_top + 13], fill=colour)
        draw.text((rect[0] + 3, text_top + 1), label, fill=(0, 0, 0))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()
