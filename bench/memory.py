"""Resident memory of a web worker and of a queue worker, with the face models loaded and after
face work.

Web: gunicorn with one worker (gunicorn.conf.py), whose face work runs in its face process
(services/faces/processes.py): both are measured once started (the models loaded, no face
work yet) and after 5 selfie check-ins and 2 class photos (bench.class_photo's 12 MP room of
30 faces). Queue: a `flask --app app jobs worker` on REDIS_URL, measured once started; it runs
each job in a forked child (the work horse), whose largest size is sampled every 20 ms over 2
class photos posted with async=1. RSS counts the pages a process shares with the one it was
forked from (the models, loaded before the fork) in each process; PSS splits them between
the sharers.

Run: python -m bench.memory --redis-url redis://127.0.0.1:6379/N [--database-url URL]
"""
import argparse
import threading
import time
from datetime import datetime, timedelta, timezone

from bench import class_photo
from bench.common import DEFAULT_FACES as FACES
from bench.common import Server, api, default_sqlite_url, register_people, reset_database, rss_mb, write_result
from bench.photo_queue import clean_redis, start_workers, stop_workers, wait_for_workers
from tools.processes import child_pids

PROBES = ["obama_2.jpg", "biden_2.jpg", "kit_harington_2.jpg", "rose_leslie_2.jpg", "alex_lacamoire_3.jpg"]


def open_slot(name):
    start = datetime.now(timezone.utc).replace(tzinfo=None, second=0, microsecond=0) - timedelta(minutes=5)
    return {"class_name": name, "class_date": start.strftime("%Y-%m-%d"), "start_time": start.strftime("%H:%M"),
            "end_time": (start + timedelta(minutes=50)).strftime("%H:%M")}


def sizes(pids):
    """{pid: (RSS, PSS)} in MB."""
    return {pid: rss_mb(pid) for pid in pids}


class Peak:
    """The largest RSS and PSS seen in the children of ``parent`` while it runs, sampled."""

    def __init__(self, parent):
        self.parent, self.rss, self.pss = parent, 0.0, 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self):
        while not self._stop.wait(0.02):
            for pid in child_pids(self.parent):
                rss, pss = rss_mb(pid)
                self.rss, self.pss = max(self.rss, rss or 0.0), max(self.pss, pss or 0.0)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def photograph(port, token, image, name, queued):
    status, body, _ = api(port, "mark_class_attendance", token, teacher_email_id="t@bench.test",
                          files={"image_file": ("room.jpg", image)}, **({"async": "1"} if queued else {}),
                          **open_slot(name))
    assert status == (202 if queued else 200), body
    while queued and body.get("status") not in ("done", "failed"):
        time.sleep(0.1)
        status, body, _ = api(port, "get_photo_job", token, teacher_email_id="t@bench.test", job_id=body["job_id"])
    assert body.get("status", "done") == "done" and len(body["present"]) == len(class_photo.ENROLL), body


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--redis-url", required=True, help="a Redis database of the benchmark's own")
    parser.add_argument("--database-url", default=None, help="default: a SQLite file under bench/out")
    args = parser.parse_args()
    database_url = args.database_url or default_sqlite_url("memory.db")
    reset_database(database_url)
    redis = clean_redis(args.redis_url)
    image, _ = class_photo.build_room()
    env = {"REDIS_URL": args.redis_url}
    result = {}
    with Server(database_url, workers=1, env=env, log_name="memory-web.log") as server:
        (worker,), (face_process,) = server.worker_pids(), server.face_process_pids()
        started = sizes([worker, face_process])
        students = {p: (f"{p}@bench.test", FACES / "enroll" / f) for p, f in class_photo.ENROLL.items()}
        teacher, tokens = register_people(server.port, "t@bench.test", FACES / "enroll" / "lin_manuel_miranda.png",
                                          students)
        roster = ",".join(email for email, _ in students.values())
        api(server.port, "create_class", teacher, teacher_email_id="t@bench.test", student_email_ids=roster,
            **open_slot("Selfies"))
        for probe in PROBES:
            person = class_photo.person_of(probe)
            status, body, _ = api(server.port, "mark_attendance", tokens[person], email_id=f"{person}@bench.test",
                                  files={"image_file": (probe, (FACES / "probe" / probe).read_bytes())},
                                  **open_slot("Selfies"))
            assert status == 200, body
        for n in range(2):
            api(server.port, "create_class", teacher, teacher_email_id="t@bench.test", student_email_ids=roster,
                **open_slot(f"Room {n}"))
            photograph(server.port, teacher, image, f"Room {n}", queued=False)
        worked = sizes([worker, face_process])
        result["web"] = {"worker": {"started": started[worker], "after": worked[worker]},
                         "face_process": {"started": started[face_process], "after": worked[face_process]}}

        workers = start_workers(1, {**server.env, "REDIS_URL": args.redis_url})
        try:
            wait_for_workers(redis, 1, workers)
            queue_worker = workers[0][0].pid
            idle = rss_mb(queue_worker)
            with Peak(queue_worker) as peak:
                for n in range(2):
                    api(server.port, "create_class", teacher, teacher_email_id="t@bench.test",
                        student_email_ids=roster, **open_slot(f"Queued {n}"))
                    photograph(server.port, teacher, image, f"Queued {n}", queued=True)
            result["queue"] = {"worker": {"started": idle, "after": rss_mb(queue_worker)},
                               "work_horse_peak": (peak.rss, peak.pss)}
        finally:
            stop_workers(workers)
            clean_redis(args.redis_url)
    print(f"{'process':<32}{'started: RSS / PSS MB':>24}{'after the work: RSS / PSS MB':>32}")
    for side, processes in result.items():
        for name, measured in processes.items():
            if name == "work_horse_peak":
                print(f"{side + ' ' + name:<32}{'':>24}{'%.0f / %.0f' % measured:>32}")
            else:
                print(f"{side + ' ' + name:<32}{'%.0f / %.0f' % measured['started']:>24}"
                      f"{'%.0f / %.0f' % measured['after']:>32}")
    write_result("memory.json", result)


if __name__ == "__main__":
    main()
