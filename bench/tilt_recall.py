"""Detection recall on tilted heads, by tilt and face size: Rollcall's class-photo detector
(services.faces.detection.detect_room) against face_recognition's defaults (face_locations, one
upsampling, on the full image), on the same composed 12 MP rooms.

Each room is 4000x3000 and holds every source face (9 probe photos and the unregistered
stranger) at every tilt (0, +-10, +-20, +-25 degrees) and at two face widths, in a shuffled
order. The "clean" rooms only tilt the heads; the "hard" rooms also blur every face mildly
(1 px), cast a shadow across it (up to 45% darker) and cover part of every second face. A
face counts as found when a returned box contains its centre; a box containing no face's
centre is counted as a false detection.

Run: python -m bench.tilt_recall [--faces DIR] [--conditions clean,hard] [--no-reference]
"""
import argparse
import functools
import io
import json
import time
from pathlib import Path

import numpy as np

from bench.class_photo import PROBES
from bench.common import DEFAULT_FACES, OUT
from tools.rooms import compose, face_cutout, posed

TILTS = (0, 10, -10, 20, -20, 25, -25)
SIZE_PAIRS = ((60, 80), (110, 140))
STRANGER = "lin_manuel_miranda.png"
CONDITIONS = {
    "clean": lambda i: {},
    "hard": lambda i: {"blur": 1.0, "shadow": 0.45, "occlusion": 0.2 if i % 2 else 0.0},
}


@functools.lru_cache(maxsize=None)
def _cutout(path, width):
    return face_cutout(Path(path).read_bytes(), width)


def build_room(folder, sizes, condition, seed):
    """(JPEG bytes, [(tilt, size, centre)]) of one room."""
    sources = [folder / "probe" / p for p in PROBES] + [folder / "enroll" / STRANGER]
    faces = [(src, tilt, size) for size in sizes for tilt in TILTS for src in sources]
    order = np.random.default_rng(seed).permutation(len(faces))
    cutouts, placed = [], []
    for i in order:
        src, tilt, size = faces[i]
        cutouts.append(posed(_cutout(str(src), size), tilt, **CONDITIONS[condition](int(i))))
        placed.append((tilt, size))
    image, centres = compose(cutouts, seed=seed)
    return image, [(t, s, c) for (t, s), c in zip(placed, centres)]


def ours(image):
    from services.faces.detection import detect_room
    from services.faces.images import decode

    pixels = decode(image, 50_000_000)
    began = time.perf_counter()
    boxes = detect_room(pixels)
    return [(b.top, b.right, b.bottom, b.left) for b in boxes], time.perf_counter() - began


def reference(image):
    import face_recognition

    pixels = face_recognition.load_image_file(io.BytesIO(image))
    began = time.perf_counter()
    boxes = face_recognition.face_locations(pixels, number_of_times_to_upsample=1)
    return boxes, time.perf_counter() - began


def score(boxes, placed):
    """{(tilt, size): [found, total]} and how many boxes contain no placed face."""
    def inside(box, centre):
        top, right, bottom, left = box
        return left <= centre[0] <= right and top <= centre[1] <= bottom

    counts = {}
    for tilt, size, centre in placed:
        cell = counts.setdefault((tilt, size), [0, 0])
        cell[0] += any(inside(b, centre) for b in boxes)
        cell[1] += 1
    false = sum(not any(inside(b, c) for _, _, c in placed) for b in boxes)
    return counts, false


def table(title, counts, sizes):
    lines = [title, f"{'tilt':>6}" + "".join(f"{str(s) + ' px':>10}" for s in sizes) + f"{'all':>10}"]
    for tilt in TILTS:
        cells = [counts.get((tilt, s), [0, 0]) for s in sizes]
        row = "".join(f"{f'{c[0]}/{c[1]}':>10}" for c in cells)
        lines.append(f"{tilt:>+6}" + row + f"{f'{sum(c[0] for c in cells)}/{sum(c[1] for c in cells)}':>10}")
    totals = [[sum(counts.get((t, s), [0, 0])[k] for t in TILTS) for k in (0, 1)] for s in sizes]
    lines.append(f"{'all':>6}" + "".join(f"{f'{c[0]}/{c[1]}':>10}" for c in totals)
                 + f"{f'{sum(c[0] for c in totals)}/{sum(c[1] for c in totals)}':>10}")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--faces", type=Path, default=DEFAULT_FACES)
    parser.add_argument("--conditions", default="clean,hard")
    parser.add_argument("--no-reference", action="store_true", help="skip face_recognition's defaults (slow)")
    parser.add_argument("--out", type=Path, default=OUT / "tilt_recall.json")
    args = parser.parse_args()
    detectors = {"Rollcall detect_room": ours}
    if not args.no_reference:
        detectors["face_recognition defaults"] = reference
    sizes = [s for pair in SIZE_PAIRS for s in pair]
    results = {}
    for condition in args.conditions.split(","):
        rooms = [build_room(args.faces, pair, condition, seed=k) for k, pair in enumerate(SIZE_PAIRS)]
        for name, detect in detectors.items():
            counts, false, seconds = {}, 0, []
            for image, placed in rooms:
                boxes, elapsed = detect(image)
                room_counts, room_false = score(boxes, placed)
                counts.update(room_counts)
                false += room_false
                seconds.append(elapsed)
            print(table(f"\n{name}, {condition} rooms (found / placed; false detections: {false}; "
                        f"detection s per room: {', '.join(f'{s:.1f}' for s in seconds)})", counts, sizes),
                  flush=True)
            results[f"{name} / {condition}"] = {"false_detections": false, "seconds": seconds,
                                                "recall": {f"{t}/{s}": c for (t, s), c in counts.items()}}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=1))
    print(f"\nwritten to {args.out}")


if __name__ == "__main__":
    main()
