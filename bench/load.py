"""Mixed load on the production server: statistics reads and selfie check-ins, from a second process.

Seeds the school of bench/stats.py into the benchmark's own database, enrolls five real
faces through the API, opens enough sessions for every check-in to be a fresh one, then
starts gunicorn with gunicorn.conf.py (one worker per core) and runs N client processes for
the given time, each picking a check-in with probability --checkins and otherwise a random
statistics or listing endpoint for a random seeded user. Reports throughput, latency
percentiles per kind, the error count (any answer but 200) and each worker's memory.

Closed loop by default: each client sends its next request as soon as the last is answered,
so the load follows the server's speed. There, slow check-ins hold most clients and so lower
the rate of reads: the reads' tail is measured with few readers. With --rate, open loop:
requests arrive at that many a second in all, whatever the server's speed, as students'
phones do. Half the clients then only check in and half only read (Poisson arrivals, split
evenly within each half), and a latency counts from the request's arrival: a client still
busy with its previous request adds that wait ("late", reported) to the next one's time.

Run: python -m bench.load [--database-url URL] [--seconds 60] [--clients 20] [--checkins 0.1] [--client-nice 10]
                          [--rate 100 --clients 40]
"""
import argparse
import http.client
import multiprocessing
import os
import random
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

from bench.checkin import PEOPLE, email, open_slot, person_of
from bench.common import (DEFAULT_FACES, Server, api, default_sqlite_url, percentile, register_people, request,
                          reset_database, rss_mb, write_result)
from bench.stats import STUDENT_ENDPOINTS, TEACHER_ENDPOINTS, calls_for, raw_token, seed

# Below gunicorn.conf.py's keepalive (5 s): a connection idle longer is closed by the server.
IDLE_SECONDS = 4


def prepare_checkins(port, faces_dir, sessions):
    """Enrolls the five photographed people and opens ``sessions`` sessions with all of them."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    teacher = "load-teacher@bench.test"
    teacher_token, tokens = register_people(conn, teacher, faces_dir / "enroll" / "lin_manuel_miranda.png",
                                            {p: (email(p), faces_dir / "enroll" / f"{p}.jpg") for p in PEOPLE})
    now = datetime.now(timezone.utc).replace(tzinfo=None, second=0, microsecond=0)
    roster = ",".join(email(p) for p in PEOPLE)
    for i in range(sessions):
        status, body, _ = api(conn, "create_class", teacher_token, teacher_email_id=teacher,
                              student_email_ids=roster, **open_slot(i, now))
        assert status == 200, body
    conn.close()
    probes = {p: [f.read_bytes() for f in sorted((faces_dir / "probe").iterdir()) if person_of(f) == p]
              for p in PEOPLE}
    # Every (session, student) pair once: no check-in ever finds its record already marked.
    pairs = [(i, p) for i in range(sessions) for p in PEOPLE]
    return tokens, probes, pairs, now


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=default_sqlite_url("load.db"))
    parser.add_argument("--faces", type=Path, default=DEFAULT_FACES)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--checkins", type=float, default=0.1, help="share of requests that are check-ins")
    parser.add_argument("--workers", type=int, default=None, help="default: gunicorn.conf.py's")
    parser.add_argument("--threads", type=int, default=None, help="default: gunicorn.conf.py's")
    parser.add_argument("--rate", type=float, default=None,
                        help="open loop: requests arriving per second in all (default: closed loop)")
    parser.add_argument("--client-nice", type=int, default=0,
                        help="run the clients at this niceness, e.g. 10 to let the server have the cores first, "
                             "as it would with clients on other machines")
    args = parser.parse_args()
    if args.rate and args.clients < 2:
        parser.error("--rate needs at least 2 clients: one to check in, one to read")

    reset_database(args.database_url)
    teachers, students, slots, _ = seed(args.database_url)
    endpoints = TEACHER_ENDPOINTS + STUDENT_ENDPOINTS
    plan_rng = random.Random(5)
    reads = {e: calls_for(e, teachers, students, slots, plan_rng, 200) for e in endpoints}

    with Server(args.database_url, workers=args.workers, threads=args.threads, log_name="load-server.log") as server:
        tokens, probes, pairs, now = prepare_checkins(server.port, args.faces, sessions=400)
        samples, errors = [], []  # (kind, seconds); (kind, status, body)
        memory = {}
        stop_at = time.monotonic() + args.seconds

        def client(seed_value, results):
            os.nice(args.client_nice)
            mine, failures = [], []
            try:
                run_client(seed_value, mine, failures)
            except Exception as exc:  # reported, never a parent left waiting for this client's results
                failures.append(("client", type(exc).__name__, str(exc)))
            finally:
                results.put((mine, failures))

        def run_client(seed_value, mine, failures):
            rng = random.Random(seed_value)
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
            checkins, checkers = args.checkins, args.clients
            if args.rate:  # open loop: this client only checks in, or only reads
                checkers = args.clients // 2 if args.checkins else 0
                checkins = 1.0 if seed_value < checkers else 0.0
                share = args.checkins / checkers if checkins else (1 - args.checkins) / (args.clients - checkers)
                rate = args.rate * share
            own_pairs = iter(pairs[seed_value::max(checkers, 1)])  # no two clients that check in share a pair
            arrival = last_answer = time.monotonic()
            while True:
                late = 0.0
                if args.rate:
                    arrival += rng.expovariate(rate)
                    if arrival >= stop_at:
                        break
                    if arrival - last_answer > IDLE_SECONDS:
                        conn.close()  # as browsers do: the server drops idle connections, reconnect
                    time.sleep(max(0.0, arrival - time.monotonic()))
                    late = time.monotonic() - arrival
                elif time.monotonic() >= stop_at:
                    break
                pair = None
                if rng.random() < checkins:
                    pair = next(own_pairs, None)
                    if pair is None:  # every session of this client's already checked: a read instead
                        mine.append(("no_fresh_session", 0.0))
                try:
                    if pair is not None:
                        session, person = pair
                        kind = "mark_attendance"
                        status, body, elapsed = api(conn, kind, tokens[person], email_id=email(person),
                                                    files={"image_file": ("selfie.jpg", rng.choice(probes[person]))},
                                                    **open_slot(session, now))
                    else:
                        kind = rng.choice(endpoints)
                        uid, fields = rng.choice(reads[kind])
                        status, body, elapsed = request(conn, "POST", f"/api/v1/{kind}", fields, token=raw_token(uid))
                except (OSError, http.client.HTTPException, ValueError) as exc:  # ValueError: a body that is not JSON
                    failures.append((kind, type(exc).__name__, str(exc)))
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
                    continue
                if status != 200:
                    failures.append((kind, status, body))
                last_answer = time.monotonic()
                mine.append((kind, late + elapsed))
                mine.append(("late_check_in" if kind == "mark_attendance" else "late_read", late))
            conn.close()

        def watch_memory():
            while time.monotonic() < stop_at:
                for pid in server.worker_pids() + server.face_process_pids():
                    rss, pss = rss_mb(pid)
                    if rss is not None:
                        best = memory.get(pid, (0, 0))
                        memory[pid] = (max(best[0], rss), max(best[1], pss))
                time.sleep(1)

        # Each client is a process of its own, as phones and browsers are: client threads
        # sharing one GIL put their own waits into each other's timings.
        fork = multiprocessing.get_context("fork")
        results = fork.Queue()
        clients = [fork.Process(target=client, args=(i, results)) for i in range(args.clients)]
        watcher = threading.Thread(target=watch_memory)
        started = time.monotonic()
        for c in clients:
            c.start()
        watcher.start()
        for _ in clients:
            mine, failures = results.get(timeout=args.seconds + 120)  # a client killed outright: fail, not hang
            samples.extend(mine)
            errors.extend(failures)
        for c in clients:
            c.join()
        watcher.join()
        duration = time.monotonic() - started
        master_rss = rss_mb(server.process.pid)

    skipped = sum(1 for kind, _ in samples if kind == "no_fresh_session")
    lateness = {kind: [seconds for k, seconds in samples if k == f"late_{kind}"] for kind in ("read", "check_in")}
    samples = [s for s in samples if s[0] != "no_fresh_session" and not s[0].startswith("late_")]

    def summary(kinds):
        times = [s for k, s in samples if k in kinds]
        if not times:
            return {"count": 0}
        return {"count": len(times), "p50_ms": percentile(times, 50) * 1000,
                "p95_ms": percentile(times, 95) * 1000, "p99_ms": percentile(times, 99) * 1000}

    result = {
        "database": args.database_url.split(":")[0], "seconds": duration, "clients": args.clients,
        "client_nice": args.client_nice, "arrivals_per_s": args.rate, "checkins_without_fresh_session": skipped,
        "late_p99_ms": {kind: percentile(values, 99) * 1000 if values else 0.0 for kind, values in lateness.items()},
        "requests": len(samples), "throughput_rps": len(samples) / duration, "errors": len(errors),
        "all": summary(set(endpoints) | {"mark_attendance"}), "reads": summary(set(endpoints)),
        "checkins": summary({"mark_attendance"}),
        "per_endpoint": {e: summary({e}) for e in endpoints + ["mark_attendance"]},
        "workers_peak_rss_pss_mb": {str(pid): {"rss": r, "pss": p} for pid, (r, p) in memory.items()},
        "master_rss_pss_mb": master_rss, "error_samples": errors[:10],
    }
    loop = f"open loop, {args.rate:g} arrivals/s" if args.rate else "closed loop"
    print(f"{args.clients} clients ({loop}) for {duration:.0f} s on {result['database']}: {len(samples)} requests, "
          f"{result['throughput_rps']:.1f} req/s, errors {len(errors)}")
    if args.rate:
        late = result["late_p99_ms"]
        print(f"  a client's own previous request delayed a start (counted in its latency): p99 {late['read']:.1f} ms "
              f"for reads, {late['check_in']:.1f} ms for check-ins")
    if skipped:
        print(f"  {skipped} check-ins found no fresh session left and were reads instead")
    for label in ("all", "reads", "checkins"):
        s = result[label]
        if s["count"]:
            print(f"  {label:9} n={s['count']:5}  p50 {s['p50_ms']:7.1f} ms  p95 {s['p95_ms']:7.1f} ms  p99 {s['p99_ms']:7.1f} ms")
    for pid, (rss, pss) in sorted(memory.items()):
        print(f"  worker or face process {pid}: peak RSS {rss:.0f} MB, PSS {pss:.0f} MB (shared pages split)")
    print(f"  master: RSS {master_rss[0]:.0f} MB, PSS {master_rss[1]:.0f} MB")
    for e in errors[:5]:
        print("  error:", e)
    write_result(f"load-{result['database']}.json", result)


if __name__ == "__main__":
    main()
