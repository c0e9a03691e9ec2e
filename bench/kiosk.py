"""Door kiosk latency: kiosk_check_in over HTTP, one 640x480 camera frame at a time.

A kiosk page keeps at most one frame in flight, so the frames are sent one after another on
one keep-alive connection, as a tablet at the door would. Every frame is a probe photo of the
shared face set letterboxed into 640x480 and saved as a JPEG (what a page's canvas gives).
Four of the five enrolled people are on the session's roster; the fifth (kit_harington) is
enrolled but on another session's roster, so his frames must answer ``unknown``. Each round
sends every probe once: a roster student's first frame is ``marked``, the later ones
``already_marked``. Frames with no face (edge/no_face.jpg) are timed apart: the page sends
a frame when it sees a steady face, so they are not the kiosk's usual work.

The time reported is the request's round trip on the loopback (upload, parsing, token,
database, face work, answer): the server's time plus a loopback hop.

Run: python -m bench.kiosk [--database-url URL] [--faces DIR] [--rounds N]
"""
import argparse
import http.client
import io
import statistics
from datetime import datetime, timedelta, timezone
from pathlib import Path

from PIL import Image, ImageOps

from bench.common import DEFAULT_FACES, Server, api, default_sqlite_url, ms, percentile, register_people, \
    reset_database, write_result

PEOPLE = ["obama", "biden", "alex_lacamoire", "kit_harington", "rose_leslie"]
OUTSIDER = "kit_harington"
FRAME_SIZE = (640, 480)


def person_of(path):
    return next((p for p in sorted(PEOPLE, key=len, reverse=True) if path.stem.startswith(p)), None)


def email(person):
    return f"{person}@bench.test"


def camera_frame(path):
    """The photo letterboxed into a 640x480 JPEG, as a tablet's camera frame is sent."""
    picture = ImageOps.exif_transpose(Image.open(path)).convert("RGB")
    picture.thumbnail(FRAME_SIZE, Image.LANCZOS)
    canvas = Image.new("RGB", FRAME_SIZE, (90, 90, 90))
    canvas.paste(picture, ((FRAME_SIZE[0] - picture.width) // 2, (FRAME_SIZE[1] - picture.height) // 2))
    out = io.BytesIO()
    canvas.save(out, "JPEG", quality=85)
    return out.getvalue()


def open_slot(now, name):
    """A session open at ``now`` (the server's clock is UTC) that stays open for the whole run."""
    start = max(now - timedelta(minutes=5), now.replace(hour=0, minute=0))
    end = min(now + timedelta(minutes=120), now.replace(hour=23, minute=59))
    return {"class_name": name, "class_date": start.strftime("%Y-%m-%d"),
            "start_time": start.strftime("%H:%M"), "end_time": end.strftime("%H:%M")}


def expected_status(person, seen):
    if person is None:
        return "no_face"
    if person == OUTSIDER:
        return "unknown"
    return "already_marked" if person in seen else "marked"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=default_sqlite_url("kiosk.db"))
    parser.add_argument("--faces", type=Path, default=DEFAULT_FACES)
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()

    probes = sorted(p for p in (args.faces / "probe").iterdir() if person_of(p))
    frames = {p.name: camera_frame(p) for p in probes}
    no_face = camera_frame(args.faces / "edge" / "no_face.jpg")
    enroll = {person_of(p): p for p in (args.faces / "enroll").iterdir() if person_of(p)}

    reset_database(args.database_url)
    # The limit on frames per session is not what is measured here.
    with Server(args.database_url, workers=1, env={"KIOSK_FRAME_LIMIT": "1000000 per minute"},
                log_name="kiosk-server.log") as server:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=120)
        teacher = "teacher@bench.test"
        teacher_token, _ = register_people(conn, teacher, args.faces / "enroll" / "lin_manuel_miranda.png",
                                           {p: (email(p), enroll[p]) for p in PEOPLE})
        now = datetime.now(timezone.utc).replace(tzinfo=None, second=0, microsecond=0)
        door, elsewhere = open_slot(now, "Kiosk bench"), open_slot(now, "Kiosk bench, other room")
        for slot, roster in ((door, [p for p in PEOPLE if p != OUTSIDER]), (elsewhere, [OUTSIDER])):
            status, body, _ = api(conn, "create_class", teacher_token, teacher_email_id=teacher,
                                  student_email_ids=",".join(email(p) for p in roster), **slot)
            assert status == 200, body

        rows, seen = [], set()
        plan = [(p.name, frames[p.name], person_of(p)) for _ in range(args.rounds) for p in probes]
        plan += [("no_face.jpg", no_face, None)] * max(3, args.rounds)
        for name, frame, person in plan:
            phases = {}
            status, body, elapsed = api(conn, "kiosk_check_in", teacher_token, teacher_email_id=teacher,
                                        files={"image_file": ("frame.jpg", frame)}, phases=phases, **door)
            expected = expected_status(person, seen)
            if status != 200 or body["status"] != expected:
                raise SystemExit(f"unexpected answer for {name}: {status} {body} (expected {expected})")
            if person is not None and person != OUTSIDER:
                if body["student_email_id"] != email(person):
                    raise SystemExit(f"{name} was recognised as {body['student_email_id']}")
                seen.add(person)
            rows.append({"frame": name, "status": body["status"], "seconds": elapsed, "phases_ms": phases})
            print(f"{name:24} {body['status']:15} {ms(elapsed):>7} ms  "
                  + " ".join(f"{k}={v:.1f}" for k, v in phases.items()))
        conn.close()

    faces = [r for r in rows if r["status"] != "no_face"]
    blank = [r for r in rows if r["status"] == "no_face"]

    def figures(subset):
        times = [r["seconds"] for r in subset]
        return {"frames": len(times), "p50_ms": percentile(times, 50) * 1000,
                "p95_ms": percentile(times, 95) * 1000, "mean_ms": statistics.mean(times) * 1000,
                "max_ms": max(times) * 1000}

    summary = {
        "database": args.database_url.split(":")[0], "frame": "x".join(map(str, FRAME_SIZE)),
        "frames_with_a_face": figures(faces), "frames_without_a_face": figures(blank),
        "by_status": {s: figures([r for r in faces if r["status"] == s])
                      for s in sorted({r["status"] for r in faces})},
        "phases_p50_ms": {name: percentile([r["phases_ms"].get(name, 0.0) for r in faces], 50)
                          for name in sorted({n for r in faces for n in r["phases_ms"]})},
    }
    print(f"\nkiosk_check_in, {summary['frame']} frames, one in flight ({summary['database']}):")
    for label, key in (("with a face", "frames_with_a_face"), ("without a face", "frames_without_a_face")):
        f = summary[key]
        print(f"  {label:15} {f['frames']:4} frames  p50 {f['p50_ms']:.1f} ms  p95 {f['p95_ms']:.1f} ms  "
              f"max {f['max_ms']:.1f} ms")
    for status, f in summary["by_status"].items():
        print(f"    {status:15} {f['frames']:4} frames  p50 {f['p50_ms']:.1f} ms  p95 {f['p95_ms']:.1f} ms")
    print("  p50 of each phase on the server (frames with a face): "
          + ", ".join(f"{name} {value:.1f} ms" for name, value in summary["phases_p50_ms"].items()))
    write_result("kiosk.json", {"summary": summary, "rows": rows})


if __name__ == "__main__":
    main()
