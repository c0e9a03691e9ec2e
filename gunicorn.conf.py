"""Production serving: ``gunicorn`` from the repository root (docs/deployment.md).

Environment knobs: BIND (default 0.0.0.0:8000), WEB_CONCURRENCY (worker processes, default
one per core), GUNICORN_THREADS (threads per worker, default 16), plus the app's own settings.
"""
import gc
import os

# One process per core (below), so dlib's OpenBLAS gets one thread in each: a thread pool per
# process fights the other workers for the same cores and gains a lone check-in nothing
# (bench.load; docs/performance.md). Set before the app, and so the BLAS library, is loaded.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

wsgi_app = "wsgi:app"
bind = os.environ.get("BIND", "0.0.0.0:8000")

# One process per core: statistics are CPU-light but the face pipeline is CPU-bound, and
# more processes than cores only adds memory and context switches (docs/deployment.md).
workers = int(os.environ.get("WEB_CONCURRENCY") or os.cpu_count() or 1)
# Threads let a worker keep answering reads while other requests wait: on the database, or
# for their turn in the worker's face process (services/faces/processes.py). A check-in queued
# there parks its thread; with 4 threads the queued check-ins held every thread and reads
# waited behind them under bench/load.py, with 16 reads kept a free thread.
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS") or 16)

# Import the app (and, in on_starting, the face models) once in the master; forked workers
# share those pages instead of each loading ~100 MB of dlib models on its first check-in.
preload_app = True

# A check-in is well under a second; anything near this is a hung worker.
timeout = 60
graceful_timeout = 30
keepalive = 5
errorlog = "-"
# The control socket defaults to one fixed path under $HOME, so two instances on one host
# (a benchmark next to a dev server) would fight over it; nothing here uses it.
control_socket_disable = True
loglevel = os.environ.get("LOG_LEVEL", "info")


def on_starting(server):
    """Runs once in the master before any worker exists: schema up to date, models in memory."""
    from app import upgrade_database
    from models import db
    from services.faces import load_models

    with server.app.wsgi().app_context():  # the app preload_app already imported
        upgrade_database()
        # Workers must not inherit the master's open database connections.
        db.engine.dispose()
    load_models()
    # Everything loaded so far lives as long as the process: move it out of the collector's
    # sight, so full collections in the workers stay short (they scanned all of Flask,
    # SQLAlchemy and numpy, a visible p99 spike) and never write to the shared pages.
    gc.freeze()
    server.log.info("schema migrated and face models loaded in the master")


def post_fork(server, worker):
    """Each worker: its own database connections, its face process, its session closer,
    webhook sender and mail sender."""
    from models import db
    from services.faces import processes as face_processes

    with server.app.wsgi().app_context():
        # Forget (without closing) any pooled connection copied from the master.
        db.engine.dispose(close=False)
    # A full teacher listing allocates ~100k objects; at the default threshold (700) the young
    # collections ran dozens of times per request and visibly raised the listing's p95
    # (bench/stats.py). Garbage here is almost never cyclic.
    gc.set_threshold(50_000, 20, 20)
    # Face work runs in a process of the worker's own, forked now while the worker has one
    # thread (and before anything here has started OpenCV's thread pool, which a fork would
    # leave broken): the worker's threads that answer reads never wait for the encoder's GIL.
    face_processes.start()
    # Started after the face process's fork, which must happen while the worker has one thread.
    from services import mail, session_closing, webhooks
    app = server.app.wsgi()
    session_closing.start_closer(app, app.config["CLOSE_SESSIONS_EVERY"])
    webhooks.start_sender(app)
    mail.start_sender(app)
