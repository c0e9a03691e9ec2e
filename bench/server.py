"""Starts Rollcall in a subprocess for benchmarks and talks to it over HTTP."""
import base64
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FACES = ROOT.parent / "shared" / "faces"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """``python app.py`` on a free port with its own database (a temporary SQLite file by default)."""

    def __init__(self, database_url=None, extra_env=None):
        self.tmp = tempfile.TemporaryDirectory()
        self.port = free_port()
        env = {**os.environ, "PORT": str(self.port), "SECRET_KEY": "bench",
               "DATABASE_URL": database_url or f"sqlite:///{self.tmp.name}/bench.db", **(extra_env or {})}
        self.process = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.base = f"http://127.0.0.1:{self.port}/api/v1"
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                urllib.request.urlopen(f"{self.base}/test_insertion", timeout=2)
                return
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.2)
        raise RuntimeError("the server did not start")

    def post(self, path, token=None, **fields):
        """POSTs JSON; returns (status, body, Server-Timing phases in ms, seconds taken)."""
        request = urllib.request.Request(f"{self.base}/{path}", data=json.dumps(fields).encode(),
                                         headers={"Content-Type": "application/json"})
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        began = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=300) as response:
                status, raw, timing = response.status, response.read(), response.headers.get("Server-Timing", "")
        except urllib.error.HTTPError as error:
            status, raw, timing = error.code, error.read(), error.headers.get("Server-Timing", "")
        elapsed = time.perf_counter() - began
        phases = {}
        for part in filter(None, (p.strip() for p in timing.split(","))):
            name, _, duration = part.partition(";dur=")
            phases[name] = float(duration)
        return status, json.loads(raw), phases, elapsed

    def close(self):
        self.process.terminate()
        self.process.wait(timeout=30)
        self.tmp.cleanup()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def b64(data):
    return base64.b64encode(data).decode("ascii")
