"""Where the faces are: boxes in a selfie, a kiosk frame or a class photo, in full-resolution
coordinates.

Every photo goes through RetinaFace (services.faces.retinaface), a small neural detector that
looks at every position of the image once, so its cost is flat in the number of faces, and
that finds faces from ~36 px wide, heads tilted to ~45 degrees and faces behind a mask. Its
boxes are turned into boxes of the shape dlib's HOG detector gives: dlib's landmark model,
which aligns each face for the encoder, was trained on those, and the templates enrolled
when HOG found the faces keep matching.

A selfie or a kiosk frame is looked at on a copy at most SELFIE_DETECT_SIDE wide, since its
face is large; a class photo at full resolution, in tiles.
"""
from dataclasses import dataclass

from services import timing
from services.faces.images import resized
from services.faces.retinaface import detect as retinaface_faces, load as load_retinaface

# Selfies and kiosk frames are looked at on a copy whose longer side is at most this (a kiosk's
# 640x480 frame as it is): the detector finds faces from ~16 px on it, 1/40 of its width.
SELFIE_DETECT_SIDE = 640
# A face this much narrower than the largest one in the photo is a bystander in the
# background, not a second subject.
BACKGROUND_FACE_RATIO = 0.4
# A selfie with no face on its small copy is looked at again as a class photo, on a copy of at
# most this many pixels (a 12 MP phone photo): the rescan's cost is bounded whatever the
# upload's size, and a face too small to find at 12 MP is no selfie.
SELFIE_RESCAN_PIXELS = 12_000_000
# ... and only when the upload carries real detail: a camera photo's JPEG or WebP takes about
# 0.1 to 0.5 bytes a pixel, while a nearly flat image of millions of pixels fits in a few
# kilobytes, and scanning it closely would cost seconds of CPU to find nothing.
SELFIE_RESCAN_MIN_BYTES_PER_PIXEL = 0.02
# dlib's HOG box for a face RetinaFace boxes (measured on bench.detectors' rooms of upright
# faces): square, 1.16 times as wide, its centre lower by 0.045 of RetinaFace's box height.
DLIB_BOX_WIDTH_RATIO = 1.16
DLIB_BOX_CENTRE_DROP = 0.045


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


def warm_up():
    """Loads the detector, e.g. before forking workers (they then share its memory)."""
    load_retinaface()


def detect_selfie(pixels, upload_size=None):
    """Face boxes of a selfie or a kiosk frame, found on a copy at most SELFIE_DETECT_SIDE wide.

    When the copy was scaled down and shows no face, the whole photo is looked at as a class
    photo (at most SELFIE_RESCAN_PIXELS), for a face that is small in a large photo; not when
    it is a large, nearly flat image (``upload_size`` bytes for its pixels): it holds no small
    face, and the rescan would cost it seconds of CPU.
    """
    height, width = pixels.shape[:2]
    flat = upload_size is not None and upload_size < SELFIE_RESCAN_MIN_BYTES_PER_PIXEL * height * width
    with timing.phase("detect"):
        scale = min(1.0, SELFIE_DETECT_SIDE / max(height, width))
        found = [_dlib_shaped(face, height, width, scale) for face in retinaface_faces(resized(pixels, scale))]
    if found or scale == 1.0 or flat:
        return found
    rescan_scale = min(1.0, (SELFIE_RESCAN_PIXELS / (height * width)) ** 0.5)
    if rescan_scale == 1.0:
        return detect_room(pixels)
    return [_clip(_scaled(box, 1.0 / rescan_scale), height, width)
            for box in detect_room(resized(pixels, rescan_scale))]


def detect_room(pixels, on_face=None):
    """Every face in a class photo, small, tilted and masked ones included, left to right.

    ``on_face``, when given, is called (in the calling thread) with each box found, while the
    detector looks at the rest of the photo: a few are boxes the answer then leaves out
    (faces found twice where parts of the photo overlap)."""
    height, width = pixels.shape[:2]
    on_found = None if on_face is None else (lambda found: on_face(_dlib_shaped(found, height, width)))
    with timing.phase("detect"):
        found = retinaface_faces(pixels, on_found=on_found)
    return sorted({_dlib_shaped(face, height, width) for face in found}, key=lambda b: (b.left, b.top))


def subjects(boxes):
    """The boxes that are subjects of the photo, dropping small background faces."""
    if not boxes:
        return []
    largest = max(b.width for b in boxes)
    return [b for b in boxes if b.width >= BACKGROUND_FACE_RATIO * largest]


def _dlib_shaped(found, height, width, scale=1.0):
    """The box dlib's HOG would give, in the photo's pixels, for a face RetinaFace found on a copy
    of the photo resized by ``scale``."""
    side = DLIB_BOX_WIDTH_RATIO * (found.right - found.left) / scale
    cx = (found.left + found.right) / 2 / scale
    cy = ((found.top + found.bottom) / 2 + DLIB_BOX_CENTRE_DROP * (found.bottom - found.top)) / scale
    return _clip((round(cy - side / 2), round(cx + side / 2), round(cy + side / 2), round(cx - side / 2)),
                 height, width)


def _scaled(box, factor):
    return tuple(int(round(v * factor)) for v in (box.top, box.right, box.bottom, box.left))


def _clip(box, height, width):
    top, right, bottom, left = box
    return Box(max(top, 0), min(right, width), min(bottom, height), max(left, 0))
