"""Class photo benchmark: a 12 MP room with 30 faces (60-140 px wide), through the HTTP API,
against face_recognition's defaults on the same photo, in one run.

Run: python -m bench.class_photo [--runs 5] [--reference-runs 3] [--database-url URL]
"""
import argparse
import io
import statistics
import sys
import time
from datetime import datetime, timedelta

import numpy as np

from bench.common import DEFAULT_FACES as FACES
from bench.common import Server, api, default_sqlite_url, register_people, reset_database
from tools.rooms import compose, face_cutout

ENROLL = {"obama": "obama.jpg", "biden": "biden.jpg", "alex_lacamoire": "alex_lacamoire.jpg",
          "kit_harington": "kit_harington.jpg", "rose_leslie": "rose_leslie.jpg"}
PROBES = ["obama_2.jpg", "biden_2.jpg", "kit_harington_2.jpg", "rose_leslie_2.jpg", "alex_lacamoire_3.jpg",
          "obama_3.jpg", "kit_harington_3.jpg", "obama_4.jpg", "alex_lacamoire_2.png"]
FACE_COUNT = 30


def person_of(filename):
    return next(p for p in ENROLL if filename.startswith(p))


def build_room():
    """30 faces cut from the probe photos, widths spread over 60-140 px, smallest at the back."""
    widths = np.linspace(60, 140, FACE_COUNT).round().astype(int)
    sources = [PROBES[i % len(PROBES)] for i in range(FACE_COUNT)]
    cutouts = [face_cutout((FACES / "probe" / s).read_bytes(), int(w)) for s, w in zip(sources, widths)]
    image, centres = compose(cutouts, seed=7)
    return image, [(person_of(s), c) for s, c in zip(sources, centres)]


def ours(image, runs, database_url):
    reset_database(database_url)
    with Server(database_url, log_name="class_photo.log") as server:
        teacher_token, _ = register_people(server.port, "t@bench.test", FACES / "enroll" / "lin_manuel_miranda.png",
                                           {p: (f"{p}@bench.test", FACES / "enroll" / f) for p, f in ENROLL.items()})
        roster = ",".join(f"{p}@bench.test" for p in ENROLL)
        times, phases, body = [], [], None
        start = datetime.utcnow().replace(second=0, microsecond=0) - timedelta(minutes=5)
        for run in range(runs):
            slot = {"class_name": f"Bench {run}", "class_date": start.strftime("%Y-%m-%d"),
                    "start_time": start.strftime("%H:%M"), "end_time": (start + timedelta(minutes=50)).strftime("%H:%M")}
            api(server.port, "create_class", teacher_token, teacher_email_id="t@bench.test",
                student_email_ids=roster, **slot)
            phase = {}
            status, body, elapsed = api(server.port, "mark_class_attendance", teacher_token, phases=phase,
                                        files={"image_file": ("room.jpg", image)}, teacher_email_id="t@bench.test",
                                        **slot)
            assert status == 200, body
            times.append(elapsed)
            phases.append(phase)
    matched = [f["student_email_id"].split("@")[0] for f in body["faces"] if f["status"] == "matched"]
    split = {name: statistics.median(p.get(name, 0.0) for p in phases) for name in phases[0]}
    return statistics.median(times), split, body, matched


def reference(image, runs):
    """face_recognition's documented defaults: face_locations (upsample 1), face_encodings,
    then compare_faces against each roster student's enrollment encoding."""
    import face_recognition

    known = {p: face_recognition.face_encodings(face_recognition.load_image_file(str(FACES / "enroll" / f)))[0]
             for p, f in ENROLL.items()}
    times, found, matched = [], 0, []
    for _ in range(runs):
        began = time.perf_counter()
        pixels = face_recognition.load_image_file(io.BytesIO(image))
        locations = face_recognition.face_locations(pixels)
        encodings = face_recognition.face_encodings(pixels, locations)
        matched = []
        for encoding in encodings:
            hits = [p for p, k in known.items() if face_recognition.compare_faces([k], encoding)[0]]
            matched.extend(hits[:1])
        times.append(time.perf_counter() - began)
        found = len(locations)
    return statistics.median(times), found, matched


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--reference-runs", type=int, default=3)
    parser.add_argument("--database-url", default=None, help="default: a SQLite file under bench/out")
    args = parser.parse_args()
    image, placed = build_room()
    in_room = sorted({p for p, _ in placed})
    print(f"room: 4000x3000, {len(placed)} faces of {len(in_room)} people, 60-140 px wide", flush=True)
    our_time, split, body, our_matched = ours(image, args.runs, args.database_url or default_sqlite_url("class_photo.db"))
    ref_time, ref_found, ref_matched = reference(image, args.reference_runs)
    print(f"\n{'':24}{'Rollcall (HTTP)':>18}{'face_recognition defaults':>28}")
    print(f"{'median time (s)':24}{our_time:>18.2f}{ref_time:>28.2f}")
    print(f"{'faces found':24}{len(body['faces']):>18}{ref_found:>28}")
    print(f"{'faces matched':24}{len(our_matched):>18}{len(ref_matched):>28}")
    print(f"{'people matched once':24}{sum(our_matched.count(p) == 1 for p in in_room):>18}"
          f"{sum(ref_matched.count(p) == 1 for p in in_room):>28}")
    print(f"{'matched more than once':24}{sum(our_matched.count(p) > 1 for p in in_room):>18}"
          f"{sum(ref_matched.count(p) > 1 for p in in_room):>28}")
    print(f"{'needs review / unknown':24}{len(body['needs_review']):>9} / {body['unknown_faces']:<6}")
    print("split (median ms): " + ", ".join(f"{k} {v:.0f}" for k, v in split.items()))
    print(f"speed-up: {ref_time / our_time:.1f}x (runs: ours {args.runs}, reference {args.reference_runs}; "
          f"python {sys.version.split()[0]})")


if __name__ == "__main__":
    main()
