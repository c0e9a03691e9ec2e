"""Selfie check-in latency: our mark_attendance over HTTP against the straightforward approach.

The reference does what a first version typically does: decode the upload, write it to disk,
read it back, find faces with face_recognition's defaults (HOG, one upsampling, full image),
then load the student's enrollment photo from disk and encode both faces before comparing.
It runs in this process with the models already loaded and no HTTP or database cost, so
the comparison flatters the reference.

Every probe photo is sent twice per round: by its owner (should be accepted) and by another
enrolled student (should be rejected); both sides must reach the same decisions.

Run: python -m bench.checkin [--database-url URL] [--faces DIR] [--rounds N]
"""
import argparse
import http.client
import os
import statistics
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from bench.common import (
    DEFAULT_FACES,
    Server,
    api,
    default_sqlite_url,
    ms,
    percentile,
    register_people,
    reset_database,
    write_result,
)
from config import SETTINGS_BY_NAME

PEOPLE = ["obama", "biden", "alex_lacamoire", "kit_harington", "rose_leslie"]


def person_of(path):
    return next(p for p in sorted(PEOPLE, key=len, reverse=True) if path.stem.startswith(p))


def email(person):
    return f"{person}@bench.test"


def reference_decision(upload, enrollment_photo, tolerance):
    import io

    import face_recognition
    from PIL import Image
    Image.open(io.BytesIO(upload)).load()  # the upload is decoded (validated) first
    with tempfile.NamedTemporaryFile(suffix=".img", delete=False) as f:
        f.write(upload)
        path = f.name
    try:
        probe = face_recognition.load_image_file(path)
    finally:
        os.unlink(path)
    locations = face_recognition.face_locations(probe)
    if not locations:
        return False, None
    known_image = face_recognition.load_image_file(enrollment_photo)
    known = face_recognition.face_encodings(known_image, face_recognition.face_locations(known_image))[0]
    probes = face_recognition.face_encodings(probe, locations)
    distance = float(min(face_recognition.face_distance([known], p)[0] for p in probes))
    return distance <= tolerance, distance


def open_slot(i, now):
    """A session open at ``now`` (the server's clock is UTC) that stays open for the whole run."""
    start = max(now - timedelta(minutes=5), now.replace(hour=0, minute=0))
    end = min(now + timedelta(minutes=120), now.replace(hour=23, minute=59))
    return {"class_name": f"Check-in bench {i}", "class_date": start.strftime("%Y-%m-%d"),
            "start_time": start.strftime("%H:%M"), "end_time": end.strftime("%H:%M")}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=default_sqlite_url("checkin.db"))
    parser.add_argument("--faces", type=Path, default=DEFAULT_FACES)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--tolerance", type=float, default=float(SETTINGS_BY_NAME["FACE_TOLERANCE"].default),
                        help="the server's FACE_TOLERANCE, for the reference's decisions")
    args = parser.parse_args()

    probes = sorted((args.faces / "probe").iterdir())
    enroll = {person_of(p): p for p in (args.faces / "enroll").iterdir() if person_of_safe(p)}
    plan = []  # (photo, claimed student, expected accept)
    for _ in range(args.rounds):
        for photo in probes:
            owner = person_of(photo)
            other = PEOPLE[(PEOPLE.index(owner) + 1) % len(PEOPLE)]
            plan += [(photo, owner, True), (photo, other, False)]

    reset_database(args.database_url)
    with Server(args.database_url, workers=1, env={"FACE_TOLERANCE": str(args.tolerance)},
                log_name="checkin-server.log") as server:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=120)
        teacher = "teacher@bench.test"
        teacher_token, tokens = register_people(conn, teacher, args.faces / "enroll" / "lin_manuel_miranda.png",
                                                {p: (email(p), enroll[p]) for p in PEOPLE})
        now = datetime.now(timezone.utc).replace(tzinfo=None, second=0, microsecond=0)
        roster = ",".join(email(p) for p in PEOPLE)
        for i in range(len(plan)):
            status, body, _ = api(conn, "create_class", teacher_token, teacher_email_id=teacher,
                                  student_email_ids=roster, **open_slot(i, now))
            assert status == 200, body

        rows = []
        for i, (photo, student, expected) in enumerate(plan):
            data = photo.read_bytes()
            phases = {}
            # A new connection per check-in: the reference's seconds between calls outlast keep-alive.
            status, body, ours = api(server.port, "mark_attendance", tokens[student],
                                     files={"image_file": (photo.name, data)}, email_id=email(student),
                                     phases=phases, **open_slot(i, now))
            if status not in (200, 422) or (status == 422 and body["code"] != "face_mismatch"):
                raise SystemExit(f"unexpected answer for {photo.name} as {student}: {status} {body}")
            started = time.perf_counter()
            ref_accept, ref_distance = reference_decision(data, enroll[student], args.tolerance)
            reference = time.perf_counter() - started
            rows.append({"photo": photo.name, "student": student, "expected": expected,
                         "ours_accept": status == 200, "ours_s": ours, "ours_phases_ms": phases,
                         "ours_distance": body.get("record", {}).get("distance") if status == 200 else None,
                         "reference_accept": ref_accept, "reference_distance": ref_distance,
                         "reference_s": reference})
            print(f"{photo.name:24} as {student:15} ours {ms(ours):>7} ms {'accept' if status == 200 else 'reject'}"
                  f" | reference {ms(reference):>7} ms {'accept' if ref_accept else 'reject'}"
                  f" (d={ref_distance if ref_distance is None else round(ref_distance, 3)})")
        conn.close()

    ours = [r["ours_s"] for r in rows]
    ref = [r["reference_s"] for r in rows]
    agree = sum(r["ours_accept"] == r["reference_accept"] for r in rows)
    correct = sum(r["ours_accept"] == r["expected"] for r in rows)
    summary = {
        "requests": len(rows), "database": args.database_url.split(":")[0],
        "ours_p50_ms": percentile(ours, 50) * 1000, "ours_p95_ms": percentile(ours, 95) * 1000,
        "reference_p50_ms": percentile(ref, 50) * 1000, "reference_p95_ms": percentile(ref, 95) * 1000,
        "speedup_p50": percentile(ref, 50) / percentile(ours, 50),
        "decisions_agree": agree, "ours_correct": correct,
        "ours_phases_p50_ms": {name: percentile([r["ours_phases_ms"].get(name, 0.0) for r in rows], 50)
                               for name in sorted({n for r in rows for n in r["ours_phases_ms"]})},
    }
    print(f"\n{len(rows)} check-ins ({summary['database']}):")
    print(f"  ours      p50 {ms(percentile(ours, 50))} ms  p95 {ms(percentile(ours, 95))} ms  mean {ms(statistics.mean(ours))} ms")
    print("  ours, p50 of each phase on the server: "
          + ", ".join(f"{name} {value:.1f} ms" for name, value in summary["ours_phases_p50_ms"].items()))
    print(f"  reference p50 {ms(percentile(ref, 50))} ms  p95 {ms(percentile(ref, 95))} ms  mean {ms(statistics.mean(ref))} ms")
    print(f"  speedup at p50: {summary['speedup_p50']:.1f}x")
    print(f"  decisions: {agree}/{len(rows)} identical to the reference, {correct}/{len(rows)} correct")
    write_result("checkin.json", {"summary": summary, "rows": rows})


def person_of_safe(path):
    try:
        person_of(path)
        return True
    except StopIteration:
        return False


if __name__ == "__main__":
    main()
