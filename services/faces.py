"""The face pipeline: bytes in, plain data out. Knows nothing of Flask or the database.

decode (format check, pixel limit, EXIF orientation, to RGB) -> detect (dlib HOG on a
bounded copy of the image) -> encode (dlib ResNet, from the full-resolution pixels) ->
compare (vectorised Euclidean distances).
"""
import functools
import io
import threading
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

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

# dlib's encoder holds the GIL for ~100 ms per face, so concurrent check-ins in one process only
# take turns, and each one in flight stalls that process's other threads (the reads) a bit
# longer. One at a time per process bounds both the stall and the memory of decoded photos;
# waiting here releases the GIL.
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

    One upsampled retry catches faces under HOG's 80 px window (small or distant selfies).
    """
    height, width = pixels.shape[:2]
    scale = min(1.0, SELFIE_DETECT_SIDE / max(height, width))
    small = _resized(pixels, scale)
    found = _hog(small, 0) or _hog(small, 1)
    return [_clip(_scaled(box, 1.0 / scale), height, width) for box in found]


def _scaled(box, factor):
    return tuple(int(round(v * factor)) for v in box)


def _clip(box, height, width):
    top, right, bottom, left = box
    return Box(max(top, 0), min(right, width), min(bottom, height), max(left, 0))


def encode(pixels, boxes):
    """dlib's 128-d descriptor of each box, computed from the given (full-resolution) pixels."""
    if not boxes:
        return []
    fr = models()
    import dlib
    shapes = dlib.full_object_detections()
    for b in boxes:
        shapes.append(fr.pose_predictor_5_point(pixels, dlib.rectangle(b.left, b.top, b.right, b.bottom)))
    return [np.array(d, dtype=np.float64) for d in fr.face_encoder.compute_face_descriptor(pixels, shapes, 1)]


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


def distances(known, probe):
    """Euclidean distance from ``probe`` to each row of ``known`` (n x 128)."""
    return np.linalg.norm(np.asarray(known) - probe, axis=1)


def from_bytes(raw):
    return np.frombuffer(raw, dtype=np.float64)
