"""Face detectors side by side on composed 12 MP stress rooms: recall, stray boxes, CPU cost.

Compared in one run: RetinaFace MobileNet-0.25 (services.faces.retinaface, which every photo
goes through; one inference thread, run by onnxruntime when installed, else by OpenCV's DNN
module: the engine is in the row's name) and face_recognition's defaults (HOG, one
upsampling, on the full photo). The previous round's class-photo detector (Haar cascades
confirmed by dlib's HOG) was removed after this benchmark measured it beside the others: its
row comes from running this file in a checkout of abd5e86 (docs/performance.md).

Stress rooms (4000x3000, built with tools.rooms from the probe photos and the stranger): every
source face at every tilt of TILTS and at the two widths of each pair of SIZE_PAIRS (180 faces
a room), each face blurred by 1 px, shadowed up to 45%, every second one partly covered, and
every fifth one behind a surgical mask; masked faces are counted apart. A face counts as boxed
when a box contains its centre; a box containing no face's centre is a stray box.

Flat cost: the same detectors on rooms of 10, 30 and 180 upright faces 60-140 px wide.

Masked faces through the matcher: rooms of every probe photo and the stranger behind a mask
(widths 48, 64, 96 px, upright and tilted 20 degrees), through Rollcall's whole class-photo
path (dlib encoder, one-to-one assignment with the default tolerance, review band and margin,
every enrolled person a candidate): how many are boxed, marked as their own person, sent to
review, left unknown, and marked as someone else (must be 0).
CPU seconds are the process's CPU time (all threads) over the detection of one photo.

Run: nice -n 10 python -m bench.detectors [--faces DIR] [--no-reference]
"""
import argparse
import functools
import json
import time
from pathlib import Path

import numpy as np

from bench.common import DEFAULT_FACES, OUT
from bench.tilt_recall import PROBES, STRANGER, score
from tools.rooms import compose, face_cutout, posed

TILTS = (0, 15, -15, 25, -25, 35, -35, 45, -45)
SIZE_PAIRS = ((36, 48), (64, 96), (80, 120))
MASK_EVERY = 5
FLAT_COUNTS = (10, 30, 180)


@functools.lru_cache(maxsize=None)
def _cutout(path, width):
    return face_cutout(Path(path).read_bytes(), width)


def _sources(folder):
    return [folder / "probe" / p for p in PROBES] + [folder / "enroll" / STRANGER]


def stress_room(folder, sizes, seed):
    """(JPEG bytes, [(tilt, size, masked, centre)])."""
    faces = [(src, tilt, size) for size in sizes for tilt in TILTS for src in _sources(folder)]
    order = np.random.default_rng(seed).permutation(len(faces))
    cutouts, placed = [], []
    for i in order:
        src, tilt, size = faces[i]
        masked = i % MASK_EVERY == MASK_EVERY - 1
        cutouts.append(posed(_cutout(str(src), size), tilt, blur=1.0, shadow=0.45,
                             occlusion=0.2 if i % 2 else 0.0, mask=masked))
        placed.append((tilt, size, masked))
    image, centres = compose(cutouts, seed=seed)
    return image, [(*p, c) for p, c in zip(placed, centres)]


def crowd_room(folder, count, seed):
    """(JPEG bytes, [(0, width, False, centre)]) of ``count`` upright faces 60-140 px wide."""
    widths = np.linspace(60, 140, count).round().astype(int)
    sources = _sources(folder)
    cutouts = [_cutout(str(sources[i % len(sources)]), int(w)) for i, w in enumerate(widths)]
    image, centres = compose(cutouts, seed=seed)
    return image, [(0, int(w), False, c) for w, c in zip(widths, centres)]


def masked_marking(folder):
    """{outcome: count} of masked faces through the class-photo detector, dlib's encoder and
    the class-photo matcher with the default settings."""
    from config import SETTINGS
    from services import faces
    from services.faces import detection

    settings = {s.name: s.read(s.default) for s in SETTINGS
                if s.name in ("PHOTO_TOLERANCE", "PHOTO_REVIEW_BAND", "PHOTO_MARGIN")}
    enrolled = {p.stem: faces.enrollment_encoding(p.read_bytes(), 50_000_000)
                for p in sorted((folder / "enroll").iterdir()) if p.stem != Path(STRANGER).stem}
    people = sorted(enrolled)
    sources = _sources(folder)
    tally = dict.fromkeys(("placed", "boxed", "marked right", "review", "unknown", "marked wrong"), 0)
    for width in (48, 64, 96):
        for tilt in (0, 20):
            image, centres = compose([posed(_cutout(str(s), width), tilt, mask=True) for s in sources],
                                     seed=width + tilt)
            pixels = _pixels(image)
            boxes = detection.detect_room(pixels)
            for source, (x, y) in zip(sources, centres):
                tally["placed"] += 1
                box = next((b for b in boxes if b.left <= x <= b.right and b.top <= y <= b.bottom), None)
                if box is None:
                    continue
                tally["boxed"] += 1
                match = faces.assign(faces.encode(pixels, [box]), people, [enrolled[p] for p in people],
                                     settings["PHOTO_TOLERANCE"], settings["PHOTO_REVIEW_BAND"],
                                     settings["PHOTO_MARGIN"])[0]
                owner = next((p for p in people if source.stem.startswith(p)), None)
                if match.decision == "matched":
                    tally["marked right" if match.candidate == owner else "marked wrong"] += 1
                else:
                    tally["review" if match.decision == "needs_review" else "unknown"] += 1
    return tally


def _pixels(image):
    from services.faces.images import decode

    return decode(image, 50_000_000)


def neural(pixels):
    from services.faces import retinaface

    return [(f.top, f.right, f.bottom, f.left) for f in retinaface.detect(pixels)]


def reference(pixels):
    import face_recognition

    return face_recognition.face_locations(pixels, number_of_times_to_upsample=1)


def measured(detect, pixels):
    """(boxes, CPU seconds, wall seconds) of one detection."""
    cpu, wall = time.process_time(), time.perf_counter()
    boxes = detect(pixels)
    return boxes, time.process_time() - cpu, time.perf_counter() - wall


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--faces", type=Path, default=DEFAULT_FACES)
    parser.add_argument("--no-reference", action="store_true", help="skip face_recognition's defaults (slow)")
    parser.add_argument("--out", type=Path, default=OUT / "detectors.json")
    args = parser.parse_args()
    import cv2

    cv2.setNumThreads(1)  # one inference thread, as in the workers
    from services.faces import retinaface

    ours = f"RetinaFace ({retinaface.engine_name()})"
    detectors = {ours: neural}
    if not args.no_reference:
        detectors["face_recognition defaults"] = reference
    # warm each detector up (model loading, first-call allocations) on a small photo
    warm = _pixels((args.faces / "probe" / PROBES[0]).read_bytes())
    for detect in detectors.values():
        detect(warm)

    rooms = [stress_room(args.faces, pair, seed=k) for k, pair in enumerate(SIZE_PAIRS)]
    rooms = [(_pixels(image), placed) for image, placed in rooms]
    results = {}
    print(f"stress rooms: {len(rooms)} x {len(rooms[0][1])} faces, widths {SIZE_PAIRS}, tilts to +-{max(TILTS)}")
    header = f"{'detector':<28}{'boxed':>10}{'%':>7}{'masked':>9}{'tilt>=35':>10}{'<=48px':>9}{'stray':>7}{'CPU s/room':>24}"
    print(header)
    for name, detect in detectors.items():
        found = total = masked_found = masked_total = stray = 0
        steep, small = [0, 0], [0, 0]
        cpu = []
        for pixels, placed in rooms:
            boxes, seconds, _ = measured(detect, pixels)
            cpu.append(seconds)
            _, room_stray = score(boxes, [(t, s, c) for t, s, _, c in placed])
            stray += room_stray
            for tilt, size, masked, centre in placed:
                hit = any(l <= centre[0] <= r and t <= centre[1] <= b for t, r, b, l in boxes)
                found += hit
                total += 1
                if masked:
                    masked_found += hit
                    masked_total += 1
                if abs(tilt) >= 35:
                    steep[0] += hit
                    steep[1] += 1
                if size <= 48:
                    small[0] += hit
                    small[1] += 1
        print(f"{name:<28}{f'{found}/{total}':>10}{100 * found / total:>7.1f}{f'{masked_found}/{masked_total}':>9}"
              f"{f'{steep[0]}/{steep[1]}':>10}{f'{small[0]}/{small[1]}':>9}{stray:>7}"
              f"{', '.join(f'{s:.2f}' for s in cpu):>24}", flush=True)
        results[name] = {"boxed": found, "faces": total, "masked_boxed": masked_found, "masked": masked_total,
                         "tilt_35_plus": steep, "width_48_or_less": small, "stray": stray, "cpu_seconds": cpu}

    print("\nflat cost: CPU s per 12 MP photo (boxed/faces) by number of upright faces")
    crowds = [(count, *crowd_room(args.faces, count, seed=20 + count)) for count in FLAT_COUNTS]
    crowds = [(count, _pixels(image), placed) for count, image, placed in crowds]
    print(f"{'detector':<28}" + "".join(f"{f'{c} faces':>18}" for c in FLAT_COUNTS))
    baseline = {}
    for name, detect in detectors.items():
        cells = []
        for count, pixels, placed in crowds:
            boxes, seconds, wall = measured(detect, pixels)
            counts, _ = score(boxes, [(t, s, c) for t, s, _, c in placed])
            boxed = sum(v[0] for v in counts.values())
            cells.append(f"{seconds:.2f} ({boxed}/{count})")
            results[name][f"flat_{count}"] = {"cpu_seconds": seconds, "wall_seconds": wall, "boxed": boxed}
            baseline.setdefault(count, seconds)
        print(f"{name:<28}" + "".join(f"{c:>18}" for c in cells), flush=True)
    print("\nmasked faces through the matcher (the stranger's faces can only be unknown or review)")
    tally = masked_marking(args.faces)
    print(f"{ours:<28}" + ", ".join(f"{k} {v}" for k, v in tally.items()), flush=True)
    results[ours]["masked_marking"] = tally
    if "face_recognition defaults" in results:
        ref = results["face_recognition defaults"]
        print("\nCPU per photo as a ratio to face_recognition's defaults (30 faces): "
              + ", ".join(f"{n} {r['flat_30']['cpu_seconds'] / ref['flat_30']['cpu_seconds']:.2f}"
                          for n, r in results.items()))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=1))
    print(f"\nwritten to {args.out}")


if __name__ == "__main__":
    main()
