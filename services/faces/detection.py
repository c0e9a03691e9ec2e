"""Where the faces are: boxes in a selfie or a class photo, in full-resolution coordinates.

Selfies: dlib's HOG on a bounded copy. Class photos: RetinaFace (services.faces.retinaface), a
small neural detector that looks at every position of the photo once, so its cost is flat in
the number of faces, and that finds faces from ~36 px wide, heads tilted to ~45 degrees and
faces behind a mask, where the cascades below miss them. Its boxes are turned into boxes of
the shape dlib's HOG gives (dlib's landmark model, which aligns each face for the encoder,
was trained on those), so the enrolled templates keep matching.

The class-photo detector of the previous round, Haar cascades confirmed by HOG
(detect_room_cascades, below), is kept for comparison (bench.detectors): it is slower on every
photo of more than a few faces and finds fewer faces, but boxes no fragments of faces.

The cascades: a 12 MP room holds faces from ~50 px
(back row) to several hundred px wide. dlib's HOG finds faces of ~80 px and up, at a cost
that grows with the pixels it scans: over a 12 MP photo, upsampled, it takes seconds. So HOG scans
a copy resized to ROOM_HOG_PIXELS (a half-size copy of a 12 MP photo, an upsampled one of a
small photo, where it then also finds small faces), and OpenCV's Haar cascade scans the full
image for faces down to HAAR_MIN_FACE (fast, but it also fires on texture); every Haar
candidate HOG did not find is confirmed by HOG on a small crop scaled so the face is ~110 px,
which also gives dlib's own box shape that the landmark model expects.

Tilted heads: the Haar cascade is frontal-only (it misses heads tilted beyond ~10 degrees),
while HOG's confirmation has rotated-frontal filters and is fine with ~25 degrees. So the
cascade also scans copies of a downscaled grey image turned by ROTATED_HAAR_ANGLES; their
candidates, mapped back to the photo, are confirmed by the same HOG-on-crop step as every
other candidate. The scans and confirmations release the GIL (OpenCV and dlib's detector
both do), so they run side by side in a small pool of threads, each call with a copy of the
detector or cascade that no other thread is using (neither is safe to share). The upright
scan, the costliest by far, is cut by window size into parts of similar cost, so the pool
keeps both cores busy until the last scan ends.
"""
import math
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from services import timing
from services.faces.processes import per_process
from services.faces.models import dlib_models, new_haar_cascade
from services.faces.images import gray, resized
from services.faces.retinaface import detect as retinaface_faces, load as load_retinaface

# Selfies are detected on a copy whose longer side is at most this; faces in a selfie are
# large, and HOG's cost grows with the pixel count.
SELFIE_DETECT_SIDE = 1024
# A check-in's HOG first skips the finest levels of its pyramid (dlib's, each 5/6 of the last),
# about half its work: a selfie's own face is large. It keeps that answer when every face found
# is at least CHECK_IN_MARGIN_LEVELS levels above the skipped ones (from ~150 px on the
# detection copy); a face found nearer may be a smaller one, which the full scan boxes otherwise.
CHECK_IN_SKIPPED_LEVELS = 2
CHECK_IN_MARGIN_LEVELS = 2
# The side of the frontal detector's box at the pyramid level that found the face.
HOG_BOX = 73
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
# The upright scan's pyramid is cut at these window widths into three parts of similar cost,
# scanned side by side; their raw hits are then grouped together exactly as one scan groups
# its own (OpenCV's rule: at least HAAR_NEIGHBOURS overlapping hits, HAAR_GROUP_EPS apart).
UPRIGHT_HAAR_CUTS = (44, 62)
HAAR_NEIGHBOURS = 4
HAAR_GROUP_EPS = 0.2
CONFIRM_FACE_SIZE = 110
# Heads tilted by up to ~35 degrees either way are within ~15 degrees of upright in one of these.
ROTATED_HAAR_ANGLES = (20, -20)
# The turned copies are scanned at this scale of the photo, for faces from this width (in the
# photo's pixels; the cascade's window is 20 px) up to the size HOG's overview finds itself.
ROTATED_HAAR_SCALE = 0.6
ROTATED_HAAR_MIN_FACE = 55
# Fewer overlapping hits than the upright pass asks for: the small turned copy gives fewer, and
# HOG confirms every candidate anyway.
ROTATED_HAAR_NEIGHBOURS = 3
# Coarser steps between window sizes than the upright pass: much less work, and the same recall
# on the tilted rooms of bench.tilt_recall.
ROTATED_HAAR_SCALE_STEP = 1.2
DETECT_THREADS = 3
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


def _hog(pixels, upsample):
    return [(r.top(), r.right(), r.bottom(), r.left()) for r in dlib_models().face_detector(pixels, upsample)]


def detect_selfie(pixels, upload_size=None, large_first=False):
    """Face boxes found on a copy at most SELFIE_DETECT_SIDE wide.

    One upsampled retry catches faces under HOG's 80 px window (small or distant selfies);
    when the copy was scaled down and still shows no face, the class-photo detector looks at
    the full resolution (at most SELFIE_RESCAN_PIXELS), for a face that is small in a large photo.
    Neither runs on a large, nearly flat image (``upload_size`` bytes for its pixels): it holds
    no small face, and they would cost it seconds of CPU.

    ``large_first`` (a check-in): the large faces, when HOG finds them with its finest levels
    skipped; a smaller face beside them is then not looked for. A check-in is matched on its
    nearest face, so fewer faces can only reject it, never accept it.
    """
    height, width = pixels.shape[:2]
    flat = upload_size is not None and upload_size < SELFIE_RESCAN_MIN_BYTES_PER_PIXEL * height * width
    with timing.phase("detect"):
        scale = min(1.0, SELFIE_DETECT_SIDE / max(height, width))
        small = resized(pixels, scale)
        found = ((large_first and _large_faces(small)) or _hog(small, 0)
                 or ([] if flat and scale < 1.0 else _hog(small, 1)))
        if found or scale == 1.0 or flat:
            return [_clip(_scaled(box, 1.0 / scale), height, width) for box in found]
    rescan_scale = min(1.0, (SELFIE_RESCAN_PIXELS / (height * width)) ** 0.5)
    if rescan_scale == 1.0:
        return detect_room(pixels)
    boxes = detect_room(resized(pixels, rescan_scale))
    return [_clip(_scaled((b.top, b.right, b.bottom, b.left), 1.0 / rescan_scale), height, width) for b in boxes]


def _large_faces(pixels):
    """HOG's boxes for large faces, exactly as the full scan gives them, or [] when there is
    none it can tell exactly (see CHECK_IN_SKIPPED_LEVELS; a box cut by the photo's edge).

    dlib's own downsampling makes the shortened pyramid's levels exactly as the full scan
    makes them. Each box is mapped back from the level that found it in one step, as the
    full scan maps it: mapping the smaller copy's rounded box moves it by a pixel, and that
    moved the face's encoding by up to 0.09."""
    import dlib

    pyramid = dlib.pyramid_down(6)
    for _ in range(CHECK_IN_SKIPPED_LEVELS):
        pixels = pyramid(pixels)
    boxes = []
    for found in dlib_models().face_detector(pixels, 0):
        level = round(math.log(found.height() / HOG_BOX, 6 / 5))
        at_level = pyramid.rect_down(found, level)
        if (level < CHECK_IN_MARGIN_LEVELS or (at_level.width(), at_level.height()) != (HOG_BOX, HOG_BOX)
                or pyramid.rect_up(at_level, level) != found):
            return []
        box = pyramid.rect_up(at_level, level + CHECK_IN_SKIPPED_LEVELS)
        boxes.append((box.top(), box.right(), box.bottom(), box.left()))
    return boxes


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
                   height, width) for t, r, b, l in _thread_hog(crop, 0)]
    cx, cy = x + w / 2, y + h / 2
    best = _nearest(boxes, cx, cy)
    return best if best is not None and best.left <= cx <= best.right and best.top <= cy <= best.bottom else None


def _nearest(boxes, cx, cy):
    """The box whose centre is nearest (cx, cy), or None when there is none."""
    return min(boxes, key=lambda box: abs((box.left + box.right) / 2 - cx) + abs((box.top + box.bottom) / 2 - cy),
               default=None)


def _overlap(a, b):
    inter_w = min(a.right, b.right) - max(a.left, b.left)
    inter_h = min(a.bottom, b.bottom) - max(a.top, b.top)
    if inter_w <= 0 or inter_h <= 0:
        return 0.0
    inter = inter_w * inter_h
    return inter / min(a.width * (a.bottom - a.top), b.width * (b.bottom - b.top))


# Spare copies of dlib's detector and of the cascade (detect_room_cascades): neither is safe to
# share between threads, so a thread takes one for each call and puts it back.
_spare = {"hog": [], "haar": []}
_spare_lock = threading.Lock()
os.register_at_fork(after_in_child=lambda: globals().update(_spare_lock=threading.Lock()))


def warm_up():
    """Loads the class-photo detector, e.g. before forking workers (they then share its memory).
    The cascades' detector copies are made when detect_room_cascades first runs."""
    load_retinaface()


def _make(kind):
    if kind == "hog":
        import dlib
        return dlib.get_frontal_face_detector()
    return new_haar_cascade()


def _borrowed(kind, use):
    with _spare_lock:
        model = _spare[kind].pop() if _spare[kind] else None
    if model is None:
        model = _make(kind)
    try:
        return use(model)
    finally:
        with _spare_lock:
            _spare[kind].append(model)


def _detection_threads():
    """A pool of detection threads; _pool keeps one for each process.

    The pool is the only parallelism: OpenCV's own threads are turned off, because splitting
    every pyramid level of a scan across them makes them wait for each other at each level
    while the pool's other scans hold the cores (a class photo kept a third of 2 cores idle)."""
    import cv2

    cv2.setNumThreads(1)
    return ThreadPoolExecutor(max_workers=DETECT_THREADS, thread_name_prefix="detect")


_pool = per_process(_detection_threads)


def _thread_hog(pixels, upsample):
    """_hog with a copy of dlib's detector that no other thread is using."""
    return [(r.top(), r.right(), r.bottom(), r.left())
            for r in _borrowed("hog", lambda hog: hog(pixels, upsample))]


def _thread_haar(pixels, **options):
    """The cascade's detectMultiScale, with a copy no other thread is using."""
    return _borrowed("haar", lambda haar: haar.detectMultiScale(pixels, **options))


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


def _dlib_shaped(found, height, width):
    """The box dlib's HOG would give for a face RetinaFace found."""
    side = DLIB_BOX_WIDTH_RATIO * (found.right - found.left)
    cx = (found.left + found.right) / 2
    cy = (found.top + found.bottom) / 2 + DLIB_BOX_CENTRE_DROP * (found.bottom - found.top)
    return _clip((round(cy - side / 2), round(cx + side / 2), round(cy + side / 2), round(cx - side / 2)),
                 height, width)


def detect_room_cascades(pixels, on_face=None):
    """Every face in a class photo by the cascades and HOG (see the module's docstring).

    ``on_face``, when given, is called (in the calling thread) with each box as soon as it is
    final, while the detector's threads still look for the others: encoding a face there
    overlaps the encoder, which holds the GIL, with the detectors, which do not.
    """
    with timing.phase("detect"):
        return _detect_room(pixels, on_face or (lambda box: None))


def _detect_room(pixels, on_face):
    pool = _pool()  # first: it turns OpenCV's own threads off before anything here uses OpenCV
    height, width = pixels.shape[:2]
    gray_pixels = gray(pixels)
    overview_scale = min(2.0, (ROOM_HOG_PIXELS / (height * width)) ** 0.5)
    # The upright parts go first, the widest windows (the costliest part) first: their candidates
    # are most of the faces still to confirm and encode once the scans end, and that encoding
    # (which holds the GIL) then runs beside the turned scans instead of after them.
    upright = [pool.submit(_upright_haar_hits, gray_pixels, *part) for part in reversed(upright_haar_parts())]
    overview = pool.submit(_overview, gray_pixels, overview_scale)
    # HOG's overview finds faces from its 80 px window up, tilted ones too
    overview_smallest = 80 / overview_scale
    turned = [pool.submit(_turned_haar, gray_pixels, angle, overview_smallest) for angle in ROTATED_HAAR_ANGLES
              if overview_smallest > ROTATED_HAAR_MIN_FACE]
    boxes = overview.result()
    for box in boxes:
        on_face(box)
    _add_confirmed(gray_pixels, _grouped([hit for part in upright for hit in part.result()]), boxes, on_face)
    _add_confirmed(gray_pixels, [c for future in turned for c in future.result()], boxes, on_face)
    return sorted(boxes, key=lambda b: (b.left, b.top))


def _overview(gray_pixels, scale):
    height, width = gray_pixels.shape
    return [_clip(_scaled(b, 1 / scale), height, width) for b in _thread_hog(resized(gray_pixels, scale), 0)]


def upright_haar_parts():
    """(smallest, below) window widths of each part of the upright scan's pyramid."""
    sizes = (HAAR_MIN_FACE, *UPRIGHT_HAAR_CUTS, None)
    return list(zip(sizes, sizes[1:]))


def _upright_haar_hits(gray_pixels, smallest, below):
    """The upright scan's raw, ungrouped hits at the levels whose window is ``smallest`` px wide
    or wider, and narrower than ``below`` (no bound when None)."""
    options = {"maxSize": (below - 1, below - 1)} if below else {}
    return [[int(v) for v in hit] for hit in _thread_haar(
        gray_pixels, scaleFactor=1.1, minNeighbors=0, minSize=(smallest, smallest), **options)]


def _grouped(hits):
    """Haar candidates (x, y, w, h) from raw hits, grouped as detectMultiScale groups them; in
    reading order, so the result does not depend on which part finished first."""
    import cv2

    if not hits:
        return []
    grouped, _ = cv2.groupRectangles(hits, HAAR_NEIGHBOURS, HAAR_GROUP_EPS)
    return sorted((tuple(int(v) for v in c) for c in grouped), key=lambda c: (c[1], c[0], c[2], c[3]))


def _turned_haar(gray_pixels, angle, up_to):
    """Haar candidates (x, y, w, h in the photo's pixels) on a downscaled copy turned by
    ``angle`` degrees (counter-clockwise), square boxes around each candidate's centre, for
    faces from ROTATED_HAAR_MIN_FACE to a little over ``up_to`` px wide."""
    import cv2

    small = cv2.resize(gray_pixels, None, fx=ROTATED_HAAR_SCALE, fy=ROTATED_HAAR_SCALE,
                       interpolation=cv2.INTER_AREA)
    height, width = small.shape
    turn = cv2.getRotationMatrix2D((width / 2, height / 2), angle, 1.0)
    cos, sin = abs(turn[0, 0]), abs(turn[0, 1])
    new_width, new_height = int(height * sin + width * cos), int(height * cos + width * sin)
    turn[0, 2] += (new_width - width) / 2
    turn[1, 2] += (new_height - height) / 2
    turned = cv2.warpAffine(small, turn, (new_width, new_height), flags=cv2.INTER_LINEAR,
                            borderMode=cv2.BORDER_REPLICATE)
    smallest = max(20, round(ROTATED_HAAR_MIN_FACE * ROTATED_HAAR_SCALE))
    largest = max(smallest + 1, round(1.25 * up_to * ROTATED_HAAR_SCALE))
    found = _thread_haar(turned, scaleFactor=ROTATED_HAAR_SCALE_STEP, minNeighbors=ROTATED_HAAR_NEIGHBOURS,
                         minSize=(smallest, smallest), maxSize=(largest, largest))
    back = cv2.invertAffineTransform(turn)
    candidates = []
    for x, y, w, h in found:
        cx, cy = back @ np.array([x + w / 2, y + h / 2, 1.0])
        side = w / ROTATED_HAAR_SCALE
        candidates.append((int(round(cx / ROTATED_HAAR_SCALE - side / 2)),
                           int(round(cy / ROTATED_HAAR_SCALE - side / 2)), int(round(side)), int(round(side)), angle))
    return candidates


def _confirm_turned(gray_pixels, x, y, w, h, angle):
    """_confirm for a candidate of a copy turned by ``angle``; when HOG misses the face as it is
    (tilted past its rotated filters), it looks again at the crop turned upright like that copy,
    and the face's box is dlib's box, of the same size, around the same centre in the photo."""
    box = _confirm(gray_pixels, x, y, w, h)
    if box is not None:
        return box
    import cv2

    height, width = gray_pixels.shape
    cx, cy = x + w / 2, y + h / 2
    left, top = max(int(cx - w), 0), max(int(cy - w), 0)
    right, bottom = min(int(cx + w), width), min(int(cy + w), height)
    if right - left < w or bottom - top < w:
        return None
    scale = CONFIRM_FACE_SIZE / w
    crop = resized(np.ascontiguousarray(gray_pixels[top:bottom, left:right]), scale)
    crop_height, crop_width = crop.shape
    turn = cv2.getRotationMatrix2D((crop_width / 2, crop_height / 2), angle, 1.0)
    upright = cv2.warpAffine(crop, turn, (crop_width, crop_height), flags=cv2.INTER_LINEAR,
                             borderMode=cv2.BORDER_REPLICATE)
    back = cv2.invertAffineTransform(turn)
    found = []
    for t, r, b, l in _thread_hog(upright, 0):
        fx, fy = back @ np.array([(l + r) / 2, (t + b) / 2, 1.0])
        fx, fy = left + fx / scale, top + fy / scale
        half_w, half_h = (r - l) / scale / 2, (b - t) / scale / 2
        if abs(fx - cx) <= w / 2 and abs(fy - cy) <= h / 2:
            found.append(_clip((round(fy - half_h), round(fx + half_w), round(fy + half_h), round(fx - half_w)),
                               height, width))
    return _nearest(found, cx, cy)


def _add_confirmed(gray_pixels, candidates, boxes, on_face):
    """Appends to ``boxes`` each candidate's confirmed box, unless it overlaps one already there.

    The candidates left after the overlap test are confirmed side by side; they are then
    taken in order, exactly as if one by one.
    """
    fresh = [c for c in candidates
             if not any(_overlap(Box(c[1], c[0] + c[2], c[1] + c[3], c[0]), b) > 0.4 for b in boxes)]
    confirmed = _pool().map(lambda c: _confirm_turned(gray_pixels, *c) if len(c) == 5
                          else _confirm(gray_pixels, *c), fresh)
    for (x, y, w, h, *_), box in zip(fresh, confirmed):
        if any(_overlap(Box(y, x + w, y + h, x), b) > 0.4 for b in boxes):
            continue
        if box is not None and not any(_overlap(box, b) > 0.4 for b in boxes):
            boxes.append(box)
            on_face(box)
