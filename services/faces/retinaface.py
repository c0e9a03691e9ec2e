"""RetinaFace (MobileNet-0.25 backbone), the small neural face detector every photo goes through.

The network is the vendored file weights/retinaface_mobilenet0.25.onnx (origin and licence in
weights/README.md), loaded once per process by services.faces.models and run by onnxruntime or
OpenCV's DNN module. The file is cut just after the six convolutions of the class and box
heads: OpenCV cannot import the original export's reshapes, whose shapes depend on the input
size, so the anchors are laid and the boxes decoded here, with numpy. Its cost is flat: the
network looks at every position of the image once, however many faces it holds.

A process runs one inference at a time, on one thread, like dlib's BLAS: the web and queue
workers are the parallelism (and an OpenCV net is not safe to share between threads). A class
photo's faces are encoded while the network looks at the rest of it (detect's on_found).
"""
import collections
import os
import threading
from dataclasses import dataclass

import numpy as np

from services.faces.models import face_detector_engine, face_detector_network

# Each of the three feature maps: its stride in pixels and the two square anchor sizes laid at
# every position (the network was trained with these).
STRIDES = (8, 16, 32)
ANCHOR_SIZES = ((16, 32), (64, 128), (256, 512))
# The variances the box regression was trained with.
CENTRE_VARIANCE, SIZE_VARIANCE = 0.1, 0.2
# The per-channel means subtracted from the BGR input during training.
BGR_MEAN = (104.0, 117.0, 123.0)
NMS_OVERLAP = 0.4
# Measured on bench.detectors' stress rooms: lower lets in boxes on fragments of faces, higher
# loses small and steeply tilted faces.
DEFAULT_MIN_SCORE = 0.6

# A large photo is looked at in tiles of about this side at full size, overlapping by
# TILE_OVERLAP: the network's working memory grows with the pixels of one pass (a whole
# 12 MP photo in one pass holds ~0.5 GB more), while tiles of ~1.3 MP hold ~0.15 GB.
TILE_SIDE = 1280
TILE_OVERLAP = 160
# A tile's box this near an edge it shares with a neighbour may be part of a face the tile
# cuts; a face narrower than TILE_OVERLAP - 2 * TILE_EDGE_MARGIN lies whole inside some tile
# and away from its shared edges, so the tiles keep only such boxes ...
TILE_EDGE_MARGIN = 8
# ... and a pass over the whole photo at this scale keeps the faces of COARSE_MIN_WIDTH and
# up (at least ~40 px on its copy, where the network finds them well), faces a tile may cut.
COARSE_SCALE = 1 / 3
COARSE_MIN_WIDTH = 128

_lock = threading.Lock()
os.register_at_fork(after_in_child=lambda: globals().update(_lock=threading.Lock()))


@dataclass(frozen=True)
class Detection:
    score: float
    left: float
    top: float
    right: float
    bottom: float


def load():
    """Reads the network now (e.g. before forking workers, which then share it)."""
    face_detector_network()


def engine_name():
    return face_detector_engine()


def _unwatched(running):
    pass


def _run(blob, running=_unwatched):
    """The six head maps for an input blob, one inference at a time in this process;
    ``running(True|False)`` is told when the inference starts and ends."""
    with _lock:
        running(True)
        try:
            return face_detector_network()(blob)
        finally:
            running(False)


def detect(rgb_pixels, min_score=DEFAULT_MIN_SCORE, on_found=None):
    """Faces in an RGB uint8 image, at full size, best first.

    ``on_found``, when given, is called in the calling thread with each face a part of the photo
    shows (a superset of the answer: where parts overlap, a face may be found twice), while a
    thread of its own runs the network over the next part. Work done there, such as encoding,
    overlaps the network's."""
    if on_found is None:
        found = [_suppressed(boxes, min_score) for boxes in _passes(rgb_pixels, min_score)]
    else:
        found = _overlapped(rgb_pixels, min_score, on_found)
    found = _suppressed(np.concatenate(found), min_score)
    return [_detection(box) for box in found]


def _detection(box):
    return Detection(float(box[4]), *(float(v) for v in box[:4]))


def _overlapped(rgb_pixels, min_score, on_found):
    """Each pass's boxes, the passes run in a thread of their own while ``on_found`` is called
    with each box in this one.

    ``on_found`` is called only while the network runs: work that holds the GIL (dlib's encoder
    does, for ~15 ms a face) would otherwise stall the thread's own Python steps between two
    inferences, each for as long as one call."""
    changed = threading.Condition()
    shared = {"passes": [], "running": False, "done": False, "error": None, "stop": False}

    def running(flag):
        with changed:
            shared["running"] = flag
            changed.notify()

    def produce():
        try:
            for boxes in _passes(rgb_pixels, min_score, running):
                with changed:
                    shared["passes"].append(boxes)
                    changed.notify()
                if shared["stop"]:
                    break
        except BaseException as error:  # handed to the caller's thread, which raises it
            shared["error"] = error
        finally:
            with changed:
                shared["done"] = True
                changed.notify()

    threading.Thread(target=produce, name="retinaface", daemon=True).start()
    found, waiting = [], collections.deque()
    try:
        while True:
            with changed:
                changed.wait_for(lambda: shared["passes"] or shared["done"] or (waiting and shared["running"]))
                arrived, shared["passes"] = shared["passes"], []
                done = shared["done"]
            if shared["error"] is not None:
                raise shared["error"]
            for boxes in arrived:
                found.append(_suppressed(boxes, min_score))
                waiting.extend(found[-1])
            if done:
                break
            if waiting and shared["running"]:
                on_found(_detection(waiting.popleft()))
        while waiting:
            on_found(_detection(waiting.popleft()))
    finally:
        shared["stop"] = True
    return found


def _suppressed(found, min_score):
    """The boxes left, best first, when each box overlapping a better one is dropped: the network
    gives several boxes per face (neighbouring anchors), and overlapping passes the same face twice."""
    import cv2

    if not len(found):
        return found
    keep = cv2.dnn.NMSBoxes([[float(l), float(t), float(r - l), float(b - t)] for l, t, r, b, _ in found],
                            found[:, 4].tolist(), min_score, NMS_OVERLAP)
    return found[np.ravel(keep)]


def _passes(rgb_pixels, min_score, running=_unwatched):
    """[[left, top, right, bottom, score]] of each pass in turn, in the image's pixels: one pass
    for a small image; a coarse pass for large faces, then the tiles, for a large one."""
    height, width = rgb_pixels.shape[:2]
    if height * width <= TILE_SIDE * TILE_SIDE:
        yield _pass(rgb_pixels, 1.0, min_score, running)
        return
    coarse = _pass(rgb_pixels, COARSE_SCALE, min_score, running)
    yield coarse[coarse[:, 2] - coarse[:, 0] >= COARSE_MIN_WIDTH]
    for top, left, bottom, right in _tiles(height, width):
        tile = _pass(rgb_pixels[top:bottom, left:right], 1.0, min_score, running)
        yield _whole_faces(tile, top, left, bottom, right, height, width) + np.array([left, top, left, top, 0.0])


def _whole_faces(tile, top, left, bottom, right, height, width):
    """The tile's boxes narrow enough, and far enough from the edges it shares, to be whole faces."""
    margin = TILE_EDGE_MARGIN
    keep = tile[:, 2] - tile[:, 0] < TILE_OVERLAP - 2 * margin
    if left > 0:
        keep &= tile[:, 0] >= margin
    if top > 0:
        keep &= tile[:, 1] >= margin
    if right < width:
        keep &= tile[:, 2] <= right - left - margin
    if bottom < height:
        keep &= tile[:, 3] <= bottom - top - margin
    return tile[keep]


def _tiles(height, width):
    """(top, left, bottom, right) of equal tiles covering the image, neighbours overlapping by
    at least TILE_OVERLAP."""
    def spans(length):
        count = max(1, -(-(length - TILE_OVERLAP) // (TILE_SIDE - TILE_OVERLAP)))
        side = min(length, -(-(length + (count - 1) * TILE_OVERLAP) // count))
        starts = [round(k * (length - side) / (count - 1)) if count > 1 else 0 for k in range(count)]
        return [(start, start + side) for start in starts]

    return [(top, left, bottom, right) for top, bottom in spans(height) for left, right in spans(width)]


def _pass(rgb_pixels, scale, min_score, running=_unwatched):
    """[[left, top, right, bottom, score]] of one pass of the network over a copy of the image
    resized by ``scale``, in the image's own pixels."""
    import cv2

    height, width = rgb_pixels.shape[:2]
    size = (max(32, round(width * scale)), max(32, round(height * scale)))
    blob = cv2.dnn.blobFromImage(np.ascontiguousarray(rgb_pixels), 1.0, size, BGR_MEAN, swapRB=True, crop=False)
    maps = _run(blob, running)
    found = [_decoded(maps[2 * level][0], maps[2 * level + 1][0], stride, sizes, min_score)
             for level, (stride, sizes) in enumerate(zip(STRIDES, ANCHOR_SIZES))]
    found = np.concatenate(found)
    found[:, :4] *= np.array([width / size[0], height / size[1]] * 2)
    return found


def _decoded(logits, deltas, stride, sizes, min_score):
    """[[left, top, right, bottom, score]] of the anchors scoring above ``min_score``, from one level's maps:
    ``logits`` (anchors*2, H, W), ``deltas`` (anchors*4, H, W)."""
    anchors = len(sizes)
    grid_h, grid_w = logits.shape[1:]
    logits = logits.reshape(anchors, 2, grid_h, grid_w)
    # softmax over (background, face), for the face
    scores = 1.0 / (1.0 + np.exp(logits[:, 0] - logits[:, 1]))
    a, y, x = np.nonzero(scores > min_score)
    d = deltas.reshape(anchors, 4, grid_h, grid_w)[a, :, y, x]
    side = np.asarray(sizes, dtype=np.float64)[a]
    cx = (x + 0.5) * stride + d[:, 0] * CENTRE_VARIANCE * side
    cy = (y + 0.5) * stride + d[:, 1] * CENTRE_VARIANCE * side
    w = side * np.exp(d[:, 2] * SIZE_VARIANCE)
    h = side * np.exp(d[:, 3] * SIZE_VARIANCE)
    return np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2, scores[a, y, x]], axis=1).astype(np.float64)
