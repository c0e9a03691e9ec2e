"""In-process timing of the class-photo pipeline (decode, detect, encode) on bench.class_photo's
12 MP, 30-face room: wall time with time.perf_counter and the process's CPU time, several runs.

Unlike bench.class_photo it starts no server, so two checkouts can be compared on a shared,
busy machine by running it from each, alternately, in one session. Note that the faces are
encoded while the detector's network looks at the rest of the photo, so "detect" there is
wall time that includes most of "encode"; --sequential encodes only after detecting.

Run: python -m bench.room_timing [--runs 5] [--faces DIR]
"""
import argparse
import os
import statistics
import time
from pathlib import Path

# One BLAS thread, as in production (gunicorn.conf.py); set before dlib loads OpenBLAS.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import bench.class_photo as class_photo  # noqa: E402
from services import faces, timing  # noqa: E402
from services.faces.detection import detect_room  # noqa: E402
from services.faces.images import decode  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--faces", type=Path, default=class_photo.FACES)
    parser.add_argument("--sequential", action="store_true",
                        help="detect every face first, then encode them (no overlap)")
    args = parser.parse_args()
    class_photo.FACES = args.faces
    image, placed = class_photo.build_room()
    faces.room_encodings(image, 50_000_000)  # loads the models
    walls, cpus, splits, found = [], [], [], 0
    for _ in range(args.runs):
        timing.start()
        wall, cpu = time.perf_counter(), time.process_time()
        if args.sequential:
            pixels = decode(image, 50_000_000)
            boxes = detect_room(pixels)
            faces.encode(pixels, boxes)
        else:
            _, boxes, _ = faces.room_encodings(image, 50_000_000)
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
        splits.append(dict(timing.collected()))
        found = len(boxes)
    split = {k: statistics.median(s.get(k, 0.0) for s in splits) for k in splits[0]}
    print(f"faces found {found} of {len(placed)}; runs {args.runs}; load average {os.getloadavg()[0]:.1f}")
    print(f"wall s: median {statistics.median(walls):.2f} min {min(walls):.2f}; "
          f"cpu s: median {statistics.median(cpus):.2f} min {min(cpus):.2f}")
    print("split (median ms): " + ", ".join(f"{k} {v:.0f}" for k, v in split.items()))


if __name__ == "__main__":
    main()
