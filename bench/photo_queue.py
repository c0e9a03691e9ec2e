"""Scale-out at small scale: 2 gunicorn instances and 2 queue workers sharing one PostgreSQL and
one Redis; teachers post class photos with async=1 while students read their statistics.

Seeds the school of bench/stats.py (its students read), enrolls the five photographed people
through the API, and gives each photographing teacher (seeded teachers) one open session per
photo with those five on the roster. Starts two gunicorn instances (one worker process each,
gunicorn.conf.py) and two `flask --app app jobs worker` processes, all on REDIS_URL. Then
--teachers client threads each post --photos 12 MP class photos (30 faces, bench/class_photo.py's
room) one after another with async=1, polling get_photo_job every --poll seconds until done,
while --readers client threads call random student statistics at a fixed total rate
(--read-rate per second, open loop). Every call
goes to the two instances in turn, as a load balancer without sticky sessions would, so a
job queued on one instance is polled on the other. The load ends when every job is done.

The same load runs twice, on the same servers, one phase after the other: ``sync`` (before:
the photos answered by the synchronous call, face work in the web processes, queue workers
idle) and ``async`` (the queue). Reports per phase the photos (first answer: 202 or the
synchronous 200; time to done; photos per minute; every answer checked: 5 of 5 people
present), polls and reads (throughput, p50/p95/p99), errors. Use a PostgreSQL database
and a Redis database of the benchmark's own: every table, and every rollcall:* and rq:* key, is
deleted first and the keys again at the end.

Run: python -m bench.photo_queue --database-url postgresql://.../bench --redis-url redis://127.0.0.1:6379/N
"""
import argparse
import http.client
import itertools
import os
import random
import secrets
import signal
import statistics
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from bench import class_photo
from bench.class_photo import ENROLL, build_room
from bench.common import (DEFAULT_FACES, OUT, PASSWORD, REPO, Server, api, percentile, request, reset_database,
                          write_result)
from bench.stats import STUDENT_ENDPOINTS, calls_for, raw_token, seed
from tools.processes import cpu_seconds


def clean_redis(url):
    from redis import Redis
    connection = Redis.from_url(url)
    for pattern in ("rollcall:*", "rq:*"):
        keys = list(connection.scan_iter(pattern))
        if keys:
            connection.delete(*keys)
    return connection


def start_workers(count, env):
    workers = []
    for i in range(count):
        log = open(OUT / f"photo_queue-worker{i}.log", "w")
        workers.append((subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "jobs", "worker",
                                          "--name", f"bench-{i}-{secrets.token_hex(3)}"],
                                         cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT), log))
    return workers


def wait_for_workers(connection, count, workers, timeout=120):
    from rq import Worker
    deadline = time.monotonic() + timeout
    while len(Worker.all(connection=connection)) < count:
        if any(p.poll() is not None for p, _ in workers) or time.monotonic() > deadline:
            raise RuntimeError(f"queue workers did not start; see {OUT}/photo_queue-worker*.log")
        time.sleep(0.3)


def stop_workers(workers):
    for process, _ in workers:
        process.send_signal(signal.SIGTERM)  # warm shutdown: the current job finishes
    for process, log in workers:
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def summary(times):
    if not times:
        return {"count": 0}
    return {"count": len(times), "p50_ms": percentile(times, 50) * 1000, "p95_ms": percentile(times, 95) * 1000,
            "p99_ms": percentile(times, 99) * 1000, "max_ms": max(times) * 1000}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True, help="PostgreSQL, the benchmark's own")
    parser.add_argument("--redis-url", required=True, help="a Redis database of the benchmark's own")
    parser.add_argument("--faces", type=Path, default=DEFAULT_FACES)
    parser.add_argument("--teachers", type=int, default=4)
    parser.add_argument("--photos", type=int, default=3, help="class photos each teacher posts")
    parser.add_argument("--readers", type=int, default=8, help="student client threads")
    parser.add_argument("--read-rate", type=float, default=40, help="statistics reads per second, all readers")
    parser.add_argument("--queue-workers", type=int, default=2)
    parser.add_argument("--poll", type=float, default=0.5, help="seconds between a teacher's polls")
    parser.add_argument("--solo", type=int, default=3, help="photos alone, each way, before the load (0: none)")
    parser.add_argument("--phases", nargs="*", choices=["sync", "async"], default=["sync", "async"],
                        help="sync: the same load with the photos answered in the web process (before)")
    args = parser.parse_args()

    reset_database(args.database_url)
    redis = clean_redis(args.redis_url)
    teachers, students, slots, _ = seed(args.database_url)
    reads = {e: calls_for(e, teachers, students, slots, random.Random(5), 200) for e in STUDENT_ENDPOINTS}
    class_photo.FACES = args.faces  # build_room reads the probe photos from there
    room, _ = build_room()
    shared = {"SECRET_KEY": secrets.token_hex(16), "FACE_KEY": secrets.token_hex(32), "REDIS_URL": args.redis_url,
              "TIMEZONE": "UTC"}  # one FACE_KEY for the web instances and the workers that unseal templates
    env = {**os.environ, "DATABASE_URL": args.database_url, **shared}

    # One after the other: each instance migrates the database on start.
    with Server(args.database_url, workers=1, env=shared, log_name="photo_queue-web0.log") as web0, \
            Server(args.database_url, workers=1, env=shared, log_name="photo_queue-web1.log") as web1:
        ports = [web0.port, web1.port]
        workers = start_workers(args.queue_workers, env)
        try:
            wait_for_workers(redis, args.queue_workers, workers)
            enroll(args, ports[0])
            # a web worker's face work runs in its face process: both count as the web side
            web_pids = [pid for web in (web0, web1) for pid in web.worker_pids() + web.face_process_pids()]
            solo = solo_pairs(args, ports, teachers, room, web_pids, [p.pid for p, _ in workers]) if args.solo else None
            results = {}
            for phase in args.phases:
                results[phase] = run_load(args, ports, teachers, reads, room, queued=phase == "async")
        finally:
            stop_workers(workers)
    clean_redis(args.redis_url)
    summaries = {phase: report(args, phase, r) for phase, r in results.items()}
    if solo:
        wall, cpu = solo["wall"], solo["cpu"]
        def cpu_median(way, part):
            return statistics.median(c[part] for c in cpu[way])
        print(f"one photo alone, {args.solo} times each way, interleaved (medians):\n"
              f"  synchronous answer: {statistics.median(wall['sync']):.2f} s wall, "
              f"CPU {cpu_median('sync', 0):.2f} s in the web and face processes\n"
              f"  queued job, 202 to done seen by polling every 0.1 s: {statistics.median(wall['async']):.2f} s wall, "
              f"CPU {cpu_median('async', 1):.2f} s in the work horse + {cpu_median('async', 0):.2f} s in the web "
              f"processes (the 202 and the polls)")
    write_result("photo_queue.json", {**summaries, "solo_seconds": solo})


def solo_pairs(args, ports, teachers, room, web_pids, worker_pids):
    """One photo at a time, nothing else running: the synchronous call and the queued job in
    turn, so the machine's other load hits both alike. What the queue costs a single photo,
    in wall time and in CPU time (web processes + queue workers' children)."""
    uid, email = teachers[-1]
    token, times, cpu = raw_token(uid), {"sync": [], "async": []}, {"sync": [], "async": []}

    def total_cpu():  # (web processes, queue workers' work horses)
        return (sum(cpu_seconds(pid) for pid in web_pids),
                sum(cpu_seconds(pid, children=True) for pid in worker_pids))
    args_one = argparse.Namespace(**{**vars(args), "teachers": 1, "photos": 2 * args.solo})
    slots = prepare(args_one, ports, [(uid, email)], "solo")[0][2]
    for n, slot in enumerate(slots):
        queued = n % 2 == 1
        cpu_before, began = total_cpu(), time.perf_counter()
        status, body, _ = api(ports[n % 2], "mark_class_attendance", token, teacher_email_id=email,
                              files={"image_file": ("room.jpg", room)}, **({"async": "1"} if queued else {}), **slot)
        assert status == (202 if queued else 200), body
        while queued and body.get("status") not in ("done", "failed"):
            time.sleep(0.1)
            status, body, _ = api(ports[0], "get_photo_job", token, teacher_email_id=email, job_id=body["job_id"])
        assert len(body["present"]) == len(ENROLL), body
        times["async" if queued else "sync"].append(time.perf_counter() - began)
        time.sleep(0.5)  # the work horse has exited and been waited for: its CPU time is counted
        cpu["async" if queued else "sync"].append([b - a for a, b in zip(cpu_before, total_cpu())])
    return {"wall": times, "cpu": cpu}


def enroll(args, port):
    """Enrolls the five photographed people through the API."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    for person, photo in ENROLL.items():
        status, body, _ = api(conn, "register_student", files={"image_file": (photo, (args.faces / "enroll" / photo).read_bytes())},
                              email_id=f"{person}@bench.test", name=person, passwd_hash=PASSWORD)
        assert status == 200, body
    conn.close()


def prepare(args, ports, teachers, phase):
    """One open session per photo for each teacher, the five photographed people on its roster."""
    conn = http.client.HTTPConnection("127.0.0.1", ports[0], timeout=60)
    roster = ",".join(f"{p}@bench.test" for p in ENROLL)
    start = datetime.now(timezone.utc).replace(tzinfo=None, second=0, microsecond=0) - timedelta(minutes=5)
    plans = []
    for t, (uid, email) in enumerate(teachers[:args.teachers]):
        slots = []
        for n in range(args.photos):
            slot = {"class_name": f"Photo {phase} {t}-{n}", "class_date": start.strftime("%Y-%m-%d"),
                    "start_time": start.strftime("%H:%M"), "end_time": (start + timedelta(minutes=50)).strftime("%H:%M")}
            status, body, _ = api(conn, "create_class", raw_token(uid), teacher_email_id=email,
                                  student_email_ids=roster, **slot)
            assert status == 200, body
            slots.append(slot)
        plans.append((uid, email, slots))
    conn.close()
    return plans


def run_load(args, ports, teachers, reads, room, queued):
    """One phase: the photos sent with async=1 (queued) or as the synchronous call."""
    plans = prepare(args, ports, teachers, "async" if queued else "sync")
    turn = itertools.count()
    lock = threading.Lock()
    jobs, polls, read_times, errors = [], [], [], []
    teachers_done = threading.Event()

    def next_port():
        with lock:
            return ports[next(turn) % len(ports)]

    def photographer(uid, email, slots):
        token = raw_token(uid)
        for slot in slots:
            began = time.perf_counter()
            extra = {"async": "1"} if queued else {}
            status, body, accepted = api(next_port(), "mark_class_attendance", token, teacher_email_id=email,
                                         files={"image_file": ("room.jpg", room)}, **extra, **slot)
            if status != (202 if queued else 200):
                errors.append(("mark_class_attendance", status, body))
                continue
            if not queued:
                jobs.append({"accepted_s": accepted, "done_s": accepted, "status": "done",
                             "present": len(body["present"]), "faces": len(body["faces"])})
                continue
            job_id = body["job_id"]
            while True:
                time.sleep(args.poll)
                status, body, elapsed = api(next_port(), "get_photo_job", token, teacher_email_id=email, job_id=job_id)
                polls.append(elapsed)
                if status != 200:
                    errors.append(("get_photo_job", status, body))
                    break
                if body["status"] in ("done", "failed"):
                    present = body.get("present", [])
                    jobs.append({"accepted_s": accepted, "done_s": time.perf_counter() - began,
                                 "status": body["status"], "present": len(present), "faces": body["faces_found"]})
                    break

    def reader(seed_value):
        # Open loop at a fixed rate, the same in both phases: a slow answer does not lower the
        # load, and the photos get the same share of the cores whatever the reads' latency.
        rng = random.Random(seed_value)
        interval = args.readers / args.read_rate
        connections = {p: http.client.HTTPConnection("127.0.0.1", p, timeout=60) for p in ports}
        due = time.monotonic() + rng.random() * interval
        while not teachers_done.is_set():
            time.sleep(max(0.0, due - time.monotonic()))
            due += interval
            kind = rng.choice(STUDENT_ENDPOINTS)
            uid, fields = rng.choice(reads[kind])
            port = next_port()
            for attempt in (1, 2):  # a keep-alive connection the server closed is opened again, once
                try:
                    status, body, elapsed = request(connections[port], "POST", f"/api/v1/{kind}", fields,
                                                    token=raw_token(uid))
                    break
                except (OSError, http.client.HTTPException) as exc:
                    connections[port].close()
                    connections[port] = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                    if attempt == 2:
                        status, body, elapsed = type(exc).__name__, str(exc), None
            if status != 200:
                errors.append((kind, status, body))
            if elapsed is not None:
                read_times.append(elapsed)
        for c in connections.values():
            c.close()

    readers = [threading.Thread(target=reader, args=(i,)) for i in range(args.readers)]
    photographers = [threading.Thread(target=photographer, args=plan) for plan in plans]
    load_before = os.getloadavg()[0]
    started = time.monotonic()
    for t in readers + photographers:
        t.start()
    for t in photographers:
        t.join()
    teachers_done.set()
    for t in readers:
        t.join()
    return {"seconds": time.monotonic() - started, "jobs": jobs, "polls": polls, "reads": read_times,
            "errors": errors, "load_average": (load_before, os.getloadavg()[0])}


def report(args, phase, r):
    jobs, seconds = r["jobs"], r["seconds"]
    done = [j for j in jobs if j["status"] == "done"]
    correct = sum(j["present"] == len(ENROLL) for j in done)
    result = {
        "setup": {"web_instances": 2, "web_workers_each": 1, "queue_workers": args.queue_workers,
                  "teachers": args.teachers, "photos_each": args.photos, "readers": args.readers,
                  "read_rate": args.read_rate,
                  "cores": os.cpu_count(), "load_average_before_and_after": r["load_average"]},
        "seconds": seconds,
        "jobs": {"posted": args.teachers * args.photos, "done": len(done), "correct_5_of_5": correct,
                 "per_minute": len(done) / seconds * 60, "first_answer": summary([j["accepted_s"] for j in jobs]),
                 "time_to_done": summary([j["done_s"] for j in jobs])},
        "polls": summary(r["polls"]),
        "reads": {**summary(r["reads"]), "per_second": len(r["reads"]) / seconds},
        "errors": len(r["errors"]), "error_samples": r["errors"][:10],
    }
    j = result["jobs"]
    print(f"{phase}: {seconds:.1f} s: {j['done']}/{j['posted']} class photos done ({correct} with 5 of 5 present), "
          f"{j['per_minute']:.1f} jobs/min; errors {result['errors']}")
    for label, s in (("first answer", j["first_answer"]), ("time to done", j["time_to_done"]),
                     ("polls", result["polls"]), ("reads", result["reads"])):
        if s["count"]:
            print(f"  {label:13} n={s['count']:5}  p50 {s['p50_ms']:8.1f} ms  p95 {s['p95_ms']:8.1f} ms  "
                  f"p99 {s['p99_ms']:8.1f} ms  max {s['max_ms']:8.1f} ms")
    print(f"  reads: {result['reads']['per_second']:.1f} req/s; 1-min load average {r['load_average'][0]:.1f} "
          f"before, {r['load_average'][1]:.1f} after, on {os.cpu_count()} cores")
    for e in r["errors"][:5]:
        print("  error:", e)
    return result


if __name__ == "__main__":
    main()
