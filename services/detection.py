"""Where the faces are: boxes in a selfie or a class photo, in full-resolution coordinates.

Selfies: dlib's HOG on a bounded copy. Class photos: a 12 MP room holds faces from ~50 px
(back row) to several hundred px wide. dlib's HOG finds faces of ~80 px and up, at a cost
that grows with the pixels it scans: over 12 MP upsampled it takes ~10 s here. So HOG scans
a copy resized to ROOM_HOG_PIXELS (a half-size copy of a 12 MP photo, an upsampled one of a
small photo, where it then also finds small faces), and OpenCV's Haar cascade scans the full
image for faces down to HAAR_MIN_FACE (fast, but it also fires on texture); every Haar
candidate HOG did not find is confirmed by HOG on a small crop scaled so the face is ~110 px,
which also gives dlib's own box shape that the landmark model expects.
"""
from dataclasses import dataclass

import numpy as np

from services import timing
from services.face_models import dlib_models, haar_cascade
from services.images import gray, resized

# Selfies are detected on a copy whose longer side is at most this; faces in a selfie are
# large, and HOG's cost grows with the pixel count.
SELFIE_DETECT_SIDE = 1024
# A face this much narrower than the largest one in the photo is a bystander in the
# background, not a second subject.
BACKGROUND_FACE_RATIO = 0.4
ROOM_HOG_PIXELS = 3_000_000
# A selfie with no face on its small copy is looked at again with the class-photo detector,
# on a copy of at most this many pixels (a 12 MP phone photo): the rescan's cost is bounded
# whatever the upload's size, and a face too small to find at 12 MP is no selfie.
SELFIE_RESCAN_PIXELS = 12_000_000
# ... and only when the upload carries real detail: a camera photo's JPEG or WebP takes about
# 0.1 to 0.5 bytes a pixel, while a nearly flat image of millions of pixels fits in a few
# kilobytes, and scanning it closely would cost seconds of CPU to find nothing.
SELFIE_RESCAN_MIN_BYTES_PER_PIXEL = 0.02
HAAR_MIN_FACE = 36
CONFIRM_FACE_SIZE = 110


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


def _hog(pixels, upsample):
    return [(r.top(), r.right(), r.bottom(), r.left()) for r in dlib_models().face_detector(pixels, upsample)]


def detect_selfie(pixels, upload_size=None):
    """Face boxes found on a copy at most SELFIE_DETECT_SIDE wide.

    One upsampled retry catches faces under HOG's 80 px window (small or distant selfies);
    when the copy was scaled down and still shows no face, the class-photo detector looks at
    the full resolution (at most SELFIE_RESCAN_PIXELS), for a face that is small in a large photo.
    Neither runs on a large, nearly flat image (``upload_size`` bytes for its pixels): it holds
    no small face, and they would cost it seconds of CPU.
    """
    height, width = pixels.shape[:2]
    flat = upload_size is not None and upload_size < SELFIE_RESCAN_MIN_BYTES_PER_PIXEL * height * width
    with timing.phase("detect"):
        scale = min(1.0, SELFIE_DETECT_SIDE / max(height, width))
        small = resized(pixels, scale)
        found = _hog(small, 0) or ([] if flat and scale < 1.0 else _hog(small, 1))
        if found or scale == 1.0 or flat:
            return [_clip(_scaled(box, 1.0 / scale), height, width) for box in found]
    rescan_scale = min(1.0, (SELFIE_RESCAN_PIXELS / (height * width)) ** 0.5)
    if rescan_scale == 1.0:
        return detect_room(pixels)
    boxes = detect_room(resized(pixels, rescan_scale))
    return [_clip(_scaled((b.top, b.right, b.bottom, b.left), 1.0 / rescan_scale), height, width) for b in boxes]


def subjects(boxes):
    """The boxes that are subjects of the photo, dropping small background faces."""
    if not boxes:
        return []
    largest = max(b.width for b in boxes)
    return [b for b in boxes if b.width >= BACKGROUND_FACE_RATIO * largest]


def _scaled(box, factor):
    return tuple(int(round(v * factor)) for v in box)


def _clip(box, height, width):
    top, right, bottom, left = box
    return Box(max(top, 0), min(right, width), min(bottom, height), max(left, 0))


def _confirm(gray_pixels, x, y, w, h):
    """dlib's box for a Haar candidate (full-resolution coordinates), or None."""
    height, width = gray_pixels.shape
    pad = w // 2
    left, top = max(x - pad, 0), max(y - pad, 0)
    right, bottom = min(x + w + pad, width), min(y + h + pad, height)
    scale = CONFIRM_FACE_SIZE / w
    crop = resized(np.ascontiguousarray(gray_pixels[top:bottom, left:right]), scale)
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
    """Every face in a class photo, small ones included."""
    with timing.phase("detect"):
        return _detect_room(pixels)


def _detect_room(pixels):
    height, width = pixels.shape[:2]
    gray_pixels = gray(pixels)
    overview_scale = min(2.0, (ROOM_HOG_PIXELS / (height * width)) ** 0.5)
    boxes = [_clip(_scaled(b, 1 / overview_scale), height, width)
             for b in _hog(resized(gray_pixels, overview_scale), 0)]
    candidates = haar_cascade().detectMultiScale(gray_pixels, scaleFactor=1.1, minNeighbors=4,
                                                 minSize=(HAAR_MIN_FACE, HAAR_MIN_FACE))
    for x, y, w, h in candidates:
        if any(_overlap(Box(y, x + w, y + h, x), b) > 0.4 for b in boxes):
            continue
        box = _confirm(gray_pixels, int(x), int(y), int(w), int(h))
        if box is not None and not any(_overlap(box, b) > 0.4 for b in boxes):
            boxes.append(box)
    return sorted(boxes, key=lambda b: (b.left, b.top))
