"""Production serving: ``gunicorn`` from the repository root (see bench/README-perf.md).

Environment knobs: BIND (default 0.0.0.0:8000), WEB_CONCURRENCY (worker processes, default
one per core), GUNICORN_THREADS (threads per worker, default 4), plus the app's own settings.
"""
import os

wsgi_app = "wsgi:app"
bind = os.environ.get("BIND", "0.0.0.0:8000")

# One process per core: statistics are CPU-light but the face pipeline is CPU-bound, and
# more processes than cores only adds memory and context switches (see bench/README-perf.md).
workers = int(os.environ.get("WEB_CONCURRENCY") or os.cpu_count() or 1)
# Threads let a worker keep answering reads while its requests wait on the database.
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS") or 4)

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
    import wsgi  # already imported by preload_app
    from app import upgrade_database
    from models import db
    from services import faces

    with wsgi.app.app_context():
        upgrade_database()
        # Workers must not inherit the master's open database connections.
        db.engine.dispose()
    faces.models()
    server.log.info("schema migrated and face models loaded in the master")


def post_fork(server, worker):
    import wsgi
    from models import db

    with wsgi.app.app_context():
        # Forget (without closing) any pooled connection copied from the master.
        db.engine.dispose(close=False)
