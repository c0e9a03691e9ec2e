"""`flask --app app ...`: the commands a school's IT runs (`db upgrade` comes from Flask-Migrate).

Each group below is registered by register(); each command that changes data runs its
service calls through _run, one transaction that a refusal rolls back."""
import csv
import gc
import io
import os
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from models import ADMIN, TEACHER, USER_STATUSES, Role, db
from services import (admin, audit, auth, exports, mail, photo_jobs, privacy, roster_files, sealing,
                      session_closing, term_reports, webhooks)
from services.errors import ApiError
from services.emails import normalize as normalize_address
from services.names import has_control_characters
from services.faces.models import dlib_blas

tokens = AppGroup("tokens", help="Login tokens.")
config_group = AppGroup("config", help="The effective configuration.")
rosters_group = AppGroup("rosters", help="Class rosters from spreadsheets.")
reports_group = AppGroup("reports", help="Attendance across the whole school.")
users = AppGroup("users", help="Accounts: create admins and teachers, approve, suspend, erase.")
privacy_group = AppGroup("privacy", help="Biometric data: retention and the template key.")
jobs_group = AppGroup("jobs", help="Class-photo jobs.")
sessions_group = AppGroup("sessions", help="Class sessions.")
webhooks_group = AppGroup("webhooks", help="Webhook deliveries.")
mail_group = AppGroup("mail", help="Mail: low-attendance notices and invitation codes (SMTP_URL).")
GROUPS = (tokens, config_group, rosters_group, reports_group, users, privacy_group, jobs_group, sessions_group,
          webhooks_group, mail_group)

ROLES = {role.label: role for role in Role}
role_option = click.option("--role", type=click.Choice(list(ROLES)), default="teacher", show_default=True,
                           help="The account's role (one email may hold a student and a teacher account).")
name_option = click.option("--name", help="Display name (default: the part of the email before @).")
password_stdin_option = click.option("--password-stdin", is_flag=True,
                                     help="Read the password from standard input, not a prompt.")


def register(app):
    for group in GROUPS:
        app.cli.add_command(group)


def _run(action):
    """Runs a service call in one transaction; an ApiError becomes a clean failure."""
    try:
        result = action()
        db.session.commit()
        return result
    except ApiError as exc:
        db.session.rollback()
        raise click.ClickException(f"{exc.message} ({exc.code})") from None


@tokens.command("prune")
def prune_tokens():
    """Delete every expired login token."""
    removed = _run(auth.prune_expired_tokens)
    click.echo(f"{removed} expired tokens removed.")


@config_group.command("show")
def show_config():
    """Print every Rollcall setting as this app sees it, secrets masked."""
    import config

    for name in sorted(config.effective_names()):
        click.echo(f"{name} = {config.shown(name, current_app.config[name])}")
    click.echo(f"# dlib's BLAS: {dlib_blas()}")


@rosters_group.command("import")
@click.argument("file", type=click.File("rb"))
@click.option("--teacher", "teacher_email", required=True, help="the class's teacher (email)")
@click.option("--class", "class_name", required=True, help="the class name, as in its sessions")
def import_roster(file, teacher_email, class_name):
    """Add the students of a CSV FILE (email and optional name columns, UTF-8, ',' or ';') to every
    session of the class that has not ended. Nothing is imported when any line is bad."""
    data = file.read()
    sessions, added, unknown = _run(lambda: roster_files.import_file(data, teacher_email, class_name,
                                                                   current_app.config["TIMEZONE"]))
    click.echo(f"{added} records added to {sessions} sessions of {class_name}.")
    if unknown:
        click.echo(f"{len(unknown)} emails match no student and were left out: {', '.join(unknown)}")


@reports_group.command("below-threshold")
@click.option("--from-date", type=click.DateTime(["%Y-%m-%d"]), help="first class date counted (YYYY-MM-DD)")
@click.option("--to-date", type=click.DateTime(["%Y-%m-%d"]), help="last class date counted (YYYY-MM-DD)")
def below_threshold(from_date, to_date):
    """Print, as CSV, every student of the school whose attendance rate in a class is under
    LOW_ATTENDANCE_THRESHOLD, lowest first."""
    rows = term_reports.student_rates(None, current_app.config["TIMEZONE"],
                                      current_app.config["LOW_ATTENDANCE_THRESHOLD"],
                                      from_date=from_date and from_date.date(), to_date=to_date and to_date.date(),
                                      only_below=True)
    buffer = io.StringIO()
    out = csv.writer(buffer, lineterminator="\n")
    out.writerow(["email", "name", "class_name", "teacher_email", "held", "present", "absent", "excused", "rate %",
                  "late", "tardy rate %"])
    for r in rows:
        out.writerow([*map(exports.safe_text, (r.email, r.name, r.class_name, r.teacher_email)),
                      r.held, r.present, r.absent, r.excused, f"{float(r.rate):.1f}", r.tardy,
                      f"{float(r.tardy_rate):.1f}"])
    click.echo(buffer.getvalue(), nl=False)


def _password(from_stdin):
    if from_stdin:
        password = sys.stdin.readline().rstrip("\n")
        if not password:
            raise click.UsageError("No password on standard input.")
        return password
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


def _create(role, email, name, from_stdin):
    if has_control_characters(name):
        raise click.BadParameter("a name holds no control character or line break", param_hint="--name")
    password = _password(from_stdin)
    _run(lambda: admin.create_account(None, role, normalize_address(email), name or email.split("@")[0], password,
                                      current_app.config["PASSWORD_HASH"]))
    click.echo(f"{role.label.title()} {normalize_address(email)} created.")


@users.command("create-admin")
@click.argument("email")
@name_option
@password_stdin_option
def create_admin(email, name, password_stdin):
    """Create an administrator account (no face needed); they log in with POST /api/v1/login_admin."""
    _create(ADMIN, email, name, password_stdin)


@users.command("create-teacher")
@click.argument("email")
@name_option
@password_stdin_option
def create_teacher(email, name, password_stdin):
    """Create an active teacher account (whatever TEACHER_SIGNUP says)."""
    _create(TEACHER, email, name, password_stdin)


@users.command("list")
@click.option("--role", type=click.Choice(list(ROLES)))
@click.option("--status", type=click.Choice(USER_STATUSES))
def list_users(role, status):
    """List accounts: email, role, status, faces enrolled."""
    for user, faces in admin.list_users(ROLES.get(role), status):
        click.echo(f"{user.email}\t{Role(user.role).label}\t{user.status}\t{faces} faces\t{user.name}")


@users.command("set-status")
@click.argument("email")
@click.argument("action", type=click.Choice(list(admin.ACTIONS)))
@role_option
def set_status(email, action, role):
    """approve a pending teacher, suspend an account (its tokens stop working at once), or reactivate it."""
    user = _run(lambda: admin.set_status(_Console, admin.find_user(email.lower(), ROLES[role]), action))
    click.echo(f"{user.email} is now {user.status}.")


@users.command("audit")
@click.option("--kind", help="Only entries of this kind (e.g. recognition, erase.account).")
@click.option("--limit", type=int, default=100, show_default=True)
def audit_log(kind, limit):
    """Print the audit log, newest first."""
    for e in audit.entries(kind=kind, limit_offset=(limit, 0)):
        click.echo(f"{e.at:%Y-%m-%d %H:%M:%S}\t{e.kind}\t{e.actor_email or '-'}\t{e.subject_email or '-'}\t"
                   f"{e.detail or ''}")


@users.command("erase")
@click.argument("email")
@role_option
def erase(email, role):
    """Erase an account: faces, tokens, email and name (records stay pseudonymised unless ERASE_ATTENDANCE)."""
    user = admin.find_user(email.lower(), ROLES[role])
    outcome = _run(lambda: privacy.erase_user(user, None, current_app.config["ERASE_ATTENDANCE"]))
    click.echo(f"Erased; the account is now {user.email}: {outcome}")


@users.command("transfer-sessions")
@click.argument("from_email")
@click.argument("to_email")
def transfer_sessions(from_email, to_email):
    """Hand every session of a (former) teacher to another teacher."""
    moved = _run(lambda: privacy.transfer_sessions(None, admin.find_user(from_email.lower(), TEACHER),
                                                   admin.find_user(to_email.lower(), TEACHER)))
    click.echo(f"{moved} sessions now belong to {to_email.lower()}.")


@privacy_group.command("purge")
def purge():
    """Erase the face templates of students not seen for FACE_RETENTION_DAYS (safe to run from cron)."""
    days = current_app.config["FACE_RETENTION_DAYS"]
    if days <= 0:
        click.echo("FACE_RETENTION_DAYS is 0: face templates are kept; nothing erased.")
        return
    erased = _run(lambda: privacy.purge_stale_faces(days))
    for email in erased:
        click.echo(f"erased the faces of {email}")
    click.echo(f"{len(erased)} students' faces erased (unseen for {days} days).")


@privacy_group.command("rotate-key")
@click.option("--new-key-stdin", is_flag=True, help="Read the new key (64 hex digits) from standard input "
              "instead of generating one.")
@click.option("--reseal-only", is_flag=True, help="No new key: re-seal every template under FACE_KEY's first "
              "key (the last step of a rotation with FACE_KEY in the environment).")
def rotate_key(new_key_stdin, reseal_only):
    """Seal every face template under a new key, while the servers run.

    With the generated key file (instance/face_key) the file becomes a key ring, newest first:
    the new key, which running servers pick up at their next seal or unknown key id, and the
    key it replaces, kept for templates a server sealed before it re-read the file. Every
    template is re-sealed under the new key in one transaction, then keys older than the
    replaced one leave the ring. With FACE_KEY from the environment, the ring to set is
    printed (docs/privacy.md: the order of the rolling restarts).
    """
    ring = sealing.KeyRing.of(current_app.extensions["rollcall_rules"].face_key)
    current = ring.keys()
    if reseal_only:
        count = _run(lambda: privacy.reseal_all(ring, current[0]))
        click.echo(f"{count} face templates re-sealed under FACE_KEY's first key; the others may leave the ring.")
        return
    text = sys.stdin.readline().strip() if new_key_stdin else sealing.new_key_text()
    try:
        new_key = sealing.parse_key(text)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    if new_key in current:
        raise click.ClickException("This key is already in FACE_KEY's ring; give a new one.")
    opening = sealing.KeyRing((new_key, *current))
    key_file = Path(current_app.config["FACE_KEY_FILE"]) if current_app.config.get("FACE_KEY_FILE") else None
    if key_file:  # servers following the file seal under the new key from now on, and open both
        _write_ring(key_file, opening.keys())
    count = _run(lambda: privacy.reseal_all(opening, new_key))
    if key_file:
        _write_ring(key_file, (new_key, current[0]))
        click.echo(f"{count} face templates re-sealed; the new key is in {key_file}, beside the one it "
                   "replaces. Running servers follow the file: no restart.")
    else:
        ring_text = ",".join(k.hex() for k in (new_key, current[0]))
        click.echo(f"{count} face templates re-sealed. Set FACE_KEY to the new ring (the new key first, then "
                   "the one it replaces) on every instance and restart them" +
                   ("." if new_key_stdin else f":\n{ring_text}"))


def _write_ring(path, keys):
    """The key ring file, replaced at once: the new file is created with mode 0600 (never
    readable by others, not even for a moment) and renamed over the old one."""
    staged = path.with_name(path.name + ".new")
    staged.unlink(missing_ok=True)
    fd = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write("".join(k.hex() + "\n" for k in keys))
    os.replace(staged, path)


@sessions_group.command("close-ended")
@click.option("--batch-size", type=click.IntRange(1, 10_000), default=session_closing.BATCH_SIZE, show_default=True,
              help="Sessions closed per transaction.")
def close_ended(batch_size):
    """Mark absent every unmarked student of the sessions that have ended (method auto), one audit
    entry per session. Safe to run from cron, twice, or beside the web processes' own closer."""
    sessions, students = _run(lambda: session_closing.close_ended(
        current_app.config["TIMEZONE"], batch_size, threshold=current_app.config["LOW_ATTENDANCE_THRESHOLD"]))
    click.echo(f"{sessions} ended sessions closed; {students} unmarked students marked absent.")


@webhooks_group.command("deliver")
def deliver_webhooks():
    """Send every webhook delivery that is due now (first attempts and retries), then stop."""
    sent = _run(lambda: webhooks.deliver_all(current_app.config["WEBHOOK_ALLOW_PRIVATE"]))
    click.echo(f"{sent} deliveries attempted.")


def _need_smtp():
    if not current_app.config["SMTP_URL"]:
        raise click.UsageError("Set SMTP_URL: without it Rollcall sends no mail.")


@mail_group.command("send")
def send_mail():
    """Send every mail that is due now (first attempts and retries), then stop. Safe beside the web
    processes' own senders: each mail is claimed by one."""
    _need_smtp()
    sent = _run(lambda: mail.send_all(current_app.config))
    click.echo(f"{sent} mails attempted.")


@mail_group.command("test")
@click.argument("address")
def test_mail(address):
    """Send one mail to ADDRESS at once, through SMTP_URL, to check the server, TLS and login (nothing
    is stored)."""
    _need_smtp()
    try:
        mail.send_now(current_app.config["SMTP_URL"], current_app.config["MAIL_FROM"], address,
                      "Rollcall: a test mail", "The mail server accepts Rollcall's mail.\n")
    except mail.SEND_ERRORS as exc:
        raise click.ClickException(f"The mail server did not take it: {type(exc).__name__}: {exc}") from None
    click.echo(f"Sent to {address}.")


@mail_group.command("weekly")
def queue_weekly_mail():
    """Queue this week's low-attendance notices (students under LOW_ATTENDANCE_THRESHOLD, and their
    guardians); each once a week however often it runs. `mail send` (or the senders) send them."""
    _need_smtp()
    threshold = current_app.config["LOW_ATTENDANCE_THRESHOLD"]
    queued = _run(lambda: mail.queue_weekly_notices(current_app.config["TIMEZONE"], threshold))
    click.echo(f"{queued} low-attendance notices queued.")


class _Console:
    """The command line as an actor: not an account, so never equal to the target."""
    id = None


@jobs_group.command("worker")
@click.option("--burst", is_flag=True, help="Stop once the queue is empty.")
@click.option("--name", default=None, help="Worker name (default: host and process id).")
def worker(burst, name):
    """Run class-photo jobs from REDIS_URL's queue (several may run, on any host)."""
    from rq import Worker

    from services import faces
    from services.faces import processes as face_processes

    app = current_app._get_current_object()
    jobs = app.extensions[photo_jobs.EXTENSION]
    if jobs.redis is None:
        raise click.UsageError("Set REDIS_URL: without it class-photo jobs run inside the web process.")
    photo_jobs.use_app(app)
    # Loaded once here; each job runs in a forked child that shares these pages (as gunicorn's
    # workers share the master's), and dies after it, so one bad photo cannot take the worker.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # one worker per core, as gunicorn.conf.py says
    faces.load_models()
    db.engine.dispose()  # a forked child must not share a connection with this process
    gc.freeze()
    # Photos yield the cores to web workers on a shared host, as the web workers' own face
    # processes do; on a host of its own a worker loses nothing by it.
    os.nice(face_processes.FACE_PROCESS_NICENESS)
    Worker([photo_jobs.QUEUE], connection=jobs.redis, name=name).work(burst=burst)
