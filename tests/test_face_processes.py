"""Face work in a process of its own (services/faces/processes.py), so a server's threads that
answer reads never wait for the encoder: through the real pipeline, and under gunicorn."""
import http.client
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import numpy as np
import pytest

from services import faces, timing
from services.faces import processes as face_processes
from services.errors import Unavailable
from tests.helpers import FACE_KEY, PASSWORD, fixture_bytes
from tools.processes import child_pids, cpu_seconds, stat_fields

pytestmark = pytest.mark.face
REPO = Path(__file__).resolve().parent.parent
BIG = 50_000_000


@pytest.fixture
def face_process():
    faces.load_models()  # as a server does before it forks
    face_processes.start()
    yield
    face_processes.stop()


def test_a_selfie_is_encoded_in_the_face_process_exactly_as_here():
    here = faces.probe_encodings(fixture_bytes("obama_2.jpg"), BIG)
    face_processes.start()
    try:
        assert face_processes.run(os.getpid) != os.getpid()
        timing.start()
        there = faces.probe_encodings(fixture_bytes("obama_2.jpg"), BIG)
        # the request's Server-Timing still shows the pipeline's phases, timed over there
        assert {"decode", "detect", "encode"} <= set(timing.collected())
    finally:
        face_processes.stop()
    assert len(here) == len(there) == 1
    np.testing.assert_allclose(here[0], there[0], atol=1e-6)


def test_a_class_photo_in_the_face_process_costs_this_process_no_cpu(face_process):
    """A thread of this process holds the GIL only while it runs Python here: when the
    encoder's CPU is spent in the face process, reads in this process never wait for it."""
    photo = fixture_bytes("biden_obama_unknown.jpg")
    worker = face_processes.run(os.getpid)
    here, there = time.process_time(), cpu_seconds(worker)
    faces.room_encodings(photo, BIG)
    here, there = time.process_time() - here, cpu_seconds(worker) - there
    # this process only sends the photo and reads the answer back
    assert there > 0 and here < there / 10, (here, there)


def test_a_killed_face_process_costs_one_call_and_is_replaced(face_process):
    victim = face_processes.run(os.getpid)
    os.kill(victim, signal.SIGKILL)
    with pytest.raises(Unavailable) as lost:
        faces.probe_encodings(fixture_bytes("obama_2.jpg"), BIG)
    assert lost.value.status == 503 and lost.value.code == "face_pipeline_restarted"
    assert len(faces.probe_encodings(fixture_bytes("obama_2.jpg"), BIG)) == 1
    assert face_processes.run(os.getpid) not in (victim, os.getpid())


def _healthy(port):
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.request("GET", "/healthz")
        return conn.getresponse().status == 200
    except OSError:
        return False


def _post_photo(port, path, photo, **fields):
    boundary = uuid.uuid4().hex
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
             for k, v in fields.items()]
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="image_file"; filename="{photo}"\r\n'
                 f'Content-Type: application/octet-stream\r\n\r\n'.encode() + fixture_bytes(photo) + b"\r\n")
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request("POST", path, body, {"Content-Type": f"multipart/form-data; boundary={boundary}"})
    response = conn.getresponse()
    status, server_timing = response.status, response.getheader("Server-Timing") or ""
    response.read()
    conn.close()
    return status, server_timing


def test_gunicorn_workers_each_run_face_work_in_a_face_process_that_ends_with_them(tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'served.db'}", "BIND": f"127.0.0.1:{port}",
           "SECRET_KEY": "test", "FACE_KEY": FACE_KEY, "WEB_CONCURRENCY": "2", "LOG_LEVEL": "warning"}
    server = subprocess.Popen([str(Path(sys.executable).with_name("gunicorn")), "--config", "gunicorn.conf.py"],
                              cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    face_process_of = {}
    try:
        deadline = time.monotonic() + 90
        while True:  # up when both workers answer, each with its face process forked
            assert server.poll() is None and time.monotonic() < deadline, "gunicorn did not start"
            face_process_of = {worker: child_pids(worker) for worker in child_pids(server.pid)}
            if len(face_process_of) == 2 and all(len(c) == 1 for c in face_process_of.values()) and _healthy(port):
                break
            time.sleep(0.3)
        face_pids = [pid for children in face_process_of.values() for pid in children]
        before = sum(cpu_seconds(pid) for pid in face_pids)
        status, server_timing = _post_photo(port, "/api/v1/register_student", "obama.jpg", email_id="o@school.test",
                                            name="Barack", passwd_hash=PASSWORD)
        assert status == 200 and "encode;dur=" in server_timing
        # the detector and the encoder ran in a face process: a few clock ticks of CPU there
        assert sum(cpu_seconds(pid) for pid in face_pids) > before
        assert _post_photo(port, "/api/v1/register_student", "no_face.jpg", email_id="n@school.test",
                           name="Nobody", passwd_hash=PASSWORD)[0] == 422
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(60)
    face_pids = [pid for children in face_process_of.values() for pid in children]
    deadline = time.monotonic() + 10
    while any(_running(pid) for pid in face_pids):
        assert time.monotonic() < deadline, "a face process outlived its worker"
        time.sleep(0.1)


def _running(pid):
    try:
        state = stat_fields(pid)[0]
    except OSError:
        return False
    return state != "Z"  # a zombie has ended; only its exit status waits to be collected
