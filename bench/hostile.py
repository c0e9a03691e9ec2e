"""Hostile uploads (issue 9): how fast absurd images are refused, and what clients sending
them without logging in do to an ordinary check-in.

One gunicorn (gunicorn.conf.py, 2 workers x 16 threads by default) on its own database:
1. each of the issue's three images (1 x 50,000,000 PNG, 50,000,000 x 1 PNG, blank 7000 x 7000
   WebP) is sent to register_student a few times: each must be refused in under 1 s;
2. --checkins selfie check-ins (real photos of the enrolled student, one session each), alone;
3. the same number again while --attackers clients send those images to register_student in
   a loop, as fast as they are answered;
4. the same while the clients send the heaviest photo that is still accepted: a blank WebP of
   MAX_SELFIE_PIXELS (5000 x 5000), which runs the whole selfie pipeline (decode, detection,
   and the bounded full-resolution rescan) before it is refused as no_face.
The registration rate limit is lifted for the run (REGISTRATION_LIMIT): this measures the
bounds on the work itself, not the limiter.

Run: python -m bench.hostile [--database-url URL] [--faces DIR] [--checkins N] [--attackers N]
"""
import argparse
import http.client
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

from bench.checkin import open_slot
from bench.common import DEFAULT_FACES, Server, api, default_sqlite_url, ms, percentile, register_people, \
    reset_database, write_result
from tools.hostile_images import blank_webp, issue_images

STUDENT = "obama@bench.test"
PROBES = ["obama_2.jpg", "obama_3.jpg", "obama_4.jpg", "obama_1080p.jpg"]


def send_image(port, name, data, counter=0):
    status, body, seconds = api(port, "register_student", files={"image_file": (name, data)},
                                email_id=f"attacker{counter}@bench.test", name="A", passwd_hash="x")
    return status, (body or {}).get("code"), seconds


def check_ins(port, token, faces, first_session, count, now):
    times = []
    for i in range(count):
        photo = faces / "probe" / PROBES[i % len(PROBES)]
        status, body, seconds = api(port, "mark_attendance", token, files={"image_file": (photo.name, photo.read_bytes())},
                                    email_id=STUDENT, **open_slot(first_session + i, now))
        if status != 200:
            raise SystemExit(f"check-in {i} failed: {status} {body}")
        times.append(seconds)
    return times


def under_attack(port, token, faces, first_session, count, now, images, attackers):
    """Check-in times while ``attackers`` threads send ``images`` in a loop; and their answers."""
    stop, answers, lock = threading.Event(), [], threading.Lock()

    def attack(k):
        n = 0
        while not stop.is_set():
            name, data = images[n % len(images)]
            status, code, seconds = send_image(port, name, data, counter=k * 100_000 + n)
            with lock:
                answers.append((name, status, code, seconds))
            n += 1

    threads = [threading.Thread(target=attack, args=(k,), daemon=True) for k in range(attackers)]
    for thread in threads:
        thread.start()
    time.sleep(1.0)  # the attack is under way before the first check-in
    try:
        times = check_ins(port, token, faces, first_session, count, now)
    finally:
        stop.set()
        for thread in threads:
            thread.join(120)
    return times, answers


def summary(times):
    return {"n": len(times), "p50_ms": percentile(times, 50) * 1000, "p95_ms": percentile(times, 95) * 1000,
            "max_ms": max(times) * 1000}


def answers_summary(answers):
    by_kind = {}
    for name, status, code, seconds in answers:
        entry = by_kind.setdefault(name, {"n": 0, "answers": {}, "seconds": []})
        entry["n"] += 1
        entry["answers"][f"{status} {code}"] = entry["answers"].get(f"{status} {code}", 0) + 1
        entry["seconds"].append(seconds)
    return {name: {"n": e["n"], "answers": e["answers"], "p50_ms": percentile(e["seconds"], 50) * 1000,
                   "max_ms": max(e["seconds"]) * 1000} for name, e in by_kind.items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=default_sqlite_url("hostile.db"))
    parser.add_argument("--faces", type=Path, default=DEFAULT_FACES)
    parser.add_argument("--checkins", type=int, default=20)
    parser.add_argument("--attackers", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=3, help="times each hostile image is sent alone")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    hostile = issue_images()
    heaviest = blank_webp(5000, 5000)
    print("images: " + ", ".join(f"{k} {len(v) / 1000:.0f} KB" for k, v in hostile.items())
          + f", accepted-size blank 5000x5000 WebP {len(heaviest) / 1000:.0f} KB")

    reset_database(args.database_url)
    env = {"REGISTRATION_LIMIT": "1000000 per minute"}
    with Server(args.database_url, workers=args.workers, threads=16, env=env, log_name="hostile-server.log") as server:
        port = server.port
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        teacher = "teacher@bench.test"
        teacher_token, tokens = register_people(conn, teacher, args.faces / "enroll" / "biden.jpg",
                                                {"obama": (STUDENT, args.faces / "enroll" / "obama.jpg")})
        now = datetime.now(timezone.utc).replace(tzinfo=None, second=0, microsecond=0)
        for i in range(3 * args.checkins + 1):
            status, body, _ = api(conn, "create_class", teacher_token, teacher_email_id=teacher,
                                  student_email_ids=STUDENT, **open_slot(i, now))
            assert status == 200, body
        conn.close()
        token = tokens["obama"]
        check_ins(port, token, args.faces, 3 * args.checkins, 1, now)  # warm-up

        refused = {}
        for name, data in hostile.items():
            rows = [send_image(port, name, data) for _ in range(args.repeats)]
            refused[name] = {"bytes": len(data), "answers": sorted({f"{s} {c}" for s, c, _ in rows}),
                             "max_ms": max(t for _, _, t in rows) * 1000}
            print(f"{name:24} {len(data) / 1000:6.0f} KB -> {refused[name]['answers']}, "
                  f"slowest of {args.repeats} {refused[name]['max_ms']:.1f} ms")
        status, code, seconds = send_image(port, "blank_5000x5000.webp", heaviest)
        print(f"{'webp_5000x5000_blank':24} {len(heaviest) / 1000:6.0f} KB -> {status} {code} in {ms(seconds)} ms "
              "(accepted size: runs the pipeline)")

        alone = check_ins(port, token, args.faces, 0, args.checkins, now)
        print(f"check-in alone:           p50 {ms(percentile(alone, 50))} ms  p95 {ms(percentile(alone, 95))} ms")
        attacked, answers = under_attack(port, token, args.faces, args.checkins, args.checkins, now,
                                         list(hostile.items()), args.attackers)
        print(f"check-in, {args.attackers} clients sending the issue's images: p50 {ms(percentile(attacked, 50))} ms  "
              f"p95 {ms(percentile(attacked, 95))} ms  ({percentile(attacked, 95) / percentile(alone, 95):.2f}x alone; "
              f"{len(answers)} hostile requests answered)")
        heavy, heavy_answers = under_attack(port, token, args.faces, 2 * args.checkins, args.checkins, now,
                                            [("blank_5000x5000.webp", heaviest)], args.attackers)
        print(f"check-in, {args.attackers} clients sending 25 MP blank WebPs: p50 {ms(percentile(heavy, 50))} ms  "
              f"p95 {ms(percentile(heavy, 95))} ms  ({percentile(heavy, 95) / percentile(alone, 95):.2f}x alone; "
              f"{len(heavy_answers)} heavy requests answered)")

    result = {"workers": args.workers, "database": args.database_url.split(":")[0], "refused_alone": refused,
              "heaviest_accepted_alone": {"bytes": len(heaviest), "answer": f"{status} {code}", "ms": seconds * 1000},
              "check_in_alone": summary(alone),
              "check_in_under_issue_images": summary(attacked), "issue_images_answers": answers_summary(answers),
              "check_in_under_heaviest": summary(heavy), "heaviest_answers": answers_summary(heavy_answers)}
    write_result("hostile.json", result)
    ok = all(r["max_ms"] < 1000 for r in refused.values())
    print(f"\nissue images each refused in under 1 s: {'yes' if ok else 'NO'}; "
          f"check-in p95 under the issue's images {percentile(attacked, 95) / percentile(alone, 95):.2f}x alone "
          f"(target <= 2x)")


if __name__ == "__main__":
    main()
