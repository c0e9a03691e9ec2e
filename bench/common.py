"""What the benchmarks share: the face folder, a throwaway gunicorn server, HTTP calls, percentiles.

Benchmarks measure through HTTP against the production server (gunicorn.conf.py) so the
figures include everything a client waits for: parsing, auth, database, JSON.
"""
import http.client
import json
import math
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

from sqlalchemy import MetaData, create_engine

from tools.processes import child_pids

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "bench" / "out"
# The team's shared photo set sits next to the repository checkout.
DEFAULT_FACES = REPO.parent / "shared" / "faces"
PASSWORD = "5f4dcc3b5aa765d61d8327deb882cf99"


def default_sqlite_url(name):
    OUT.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{OUT / name}"


def reset_database(url):
    """Drops every table of the benchmark's own database; the server's start migrates it again."""
    from config import database_driver_url
    if url.startswith("sqlite:///"):
        path = Path(url[len("sqlite:///"):])
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        return
    engine = create_engine(database_driver_url(url))
    meta = MetaData()
    meta.reflect(engine)
    meta.drop_all(engine)
    engine.dispose()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """gunicorn with the repository's config on a free loopback port, as a context manager."""

    def __init__(self, database_url, workers=None, threads=None, env=None, log_name="server.log",
                 app=None):
        self.port = free_port()
        self.app = app
        self.env = {**os.environ, "DATABASE_URL": database_url, "BIND": f"127.0.0.1:{self.port}",
                    "SECRET_KEY": secrets.token_hex(16), "FACE_KEY": secrets.token_hex(32), "TIMEZONE": "UTC",
                    # benchmarks register their teachers through the API
                    "TEACHER_SIGNUP": "open",
                    # they measure the work, not the limiter: a benchmark sends each probe as
                    # another student on purpose, and registers a school from one address
                    "FACE_MISMATCH_LIMIT": "1000000 per minute", "REGISTRATION_LIMIT": "1000000 per minute",
                    **(env or {})}
        if workers:
            self.env["WEB_CONCURRENCY"] = str(workers)
        if threads:
            self.env["GUNICORN_THREADS"] = str(threads)
        OUT.mkdir(parents=True, exist_ok=True)
        self.log_path = OUT / log_name
        self.process = None

    def __enter__(self):
        gunicorn = Path(sys.executable).with_name("gunicorn")
        self.log = open(self.log_path, "w")
        command = [str(gunicorn), "--config", str(REPO / "gunicorn.conf.py")] + ([self.app] if self.app else [])
        self.process = subprocess.Popen(command,
                                        cwd=REPO, env=self.env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited; see {self.log_path}")
            try:
                status, _, _ = request(self.port, "GET", "/healthz")
                if status == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"gunicorn did not become healthy; see {self.log_path}")

    def worker_pids(self):
        return child_pids(self.process.pid)

    def face_process_pids(self):
        """Each worker's face process (services/faces/processes.py)."""
        return [pid for worker in self.worker_pids() for pid in child_pids(worker)]

    def __exit__(self, *exc):
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


def rss_mb(pid):
    """Resident and proportional (shared pages split between sharers) memory of a process, in MB."""
    rss = pss = None
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Rss:"):
                rss = int(line.split()[1]) / 1024
            elif line.startswith("Pss:"):
                pss = int(line.split()[1]) / 1024
    except OSError:
        pass
    return rss, pss


def multipart(fields, files=None):
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, (filename, data) in (files or {}).items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                     f'Content-Type: application/octet-stream\r\n\r\n'.encode() + data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def request(port_or_conn, method, path, fields=None, files=None, token=None, phases=None):
    """(status, parsed JSON body, seconds); reuses ``port_or_conn`` when it is a connection.

    ``phases``, a dict, receives the server's Server-Timing figures (ms by phase).
    """
    conn = port_or_conn
    if isinstance(port_or_conn, int):
        conn = http.client.HTTPConnection("127.0.0.1", port_or_conn, timeout=120)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    body = None
    if fields is not None or files:
        body, headers["Content-Type"] = multipart(fields or {}, files)
    started = time.perf_counter()
    conn.request(method, path, body=body, headers=headers)
    response = conn.getresponse()
    raw = response.read()
    elapsed = time.perf_counter() - started
    if phases is not None:
        for part in filter(None, (p.strip() for p in response.getheader("Server-Timing", "").split(","))):
            name, _, duration = part.partition(";dur=")
            phases[name] = float(duration)
    if isinstance(port_or_conn, int):
        conn.close()
    return response.status, json.loads(raw) if raw else None, elapsed


def api(conn, path, token=None, files=None, phases=None, **fields):
    return request(conn, "POST", f"/api/v1/{path}", fields, files, token, phases)


def register_people(conn, teacher_email, teacher_photo, students):
    """Registers a teacher and students through the API, each with a photo (a Path).

    ``students`` maps any key to (email, photo); returns (teacher token, {key: token}).
    """
    status, body, _ = api(conn, "register_teacher", files={"image_file": (teacher_photo.name, teacher_photo.read_bytes())},
                          email_id=teacher_email, name="Teacher", passwd_hash=PASSWORD)
    assert status == 200, body
    teacher_token, tokens = body["token"], {}
    for key, (email, photo) in students.items():
        status, body, _ = api(conn, "register_student", files={"image_file": (photo.name, photo.read_bytes())},
                              email_id=email, name=str(key), passwd_hash=PASSWORD)
        assert status == 200, body
        tokens[key] = body["token"]
    return teacher_token, tokens


def percentile(values, q):
    """Nearest-rank percentile: the smallest value with at least q% of the values at or below it."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def ms(seconds):
    return f"{seconds * 1000:.1f}"


def write_result(name, data):
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / name).write_text(json.dumps(data, indent=2, default=str))
