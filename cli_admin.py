"""`flask --app app users ...`: the admin endpoints as commands, so a school can script them."""
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from models import ADMIN, STUDENT, TEACHER, USER_STATUSES, db
from services import admin, audit, privacy, sealing
from services.errors import ApiError

users = AppGroup("users", help="Accounts: create admins and teachers, approve, suspend, erase.")
ROLES = {"student": STUDENT, "teacher": TEACHER, "admin": ADMIN}
role_option = click.option("--role", type=click.Choice(list(ROLES)), default="teacher", show_default=True,
                           help="The account's role (one email may hold a student and a teacher account).")
name_option = click.option("--name", help="Display name (default: the part of the email before @).")
password_stdin_option = click.option("--password-stdin", is_flag=True,
                                     help="Read the password from standard input, not a prompt.")


def _password(from_stdin):
    if from_stdin:
        password = sys.stdin.readline().rstrip("\n")
        if not password:
            raise click.UsageError("No password on standard input.")
        return password
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


def _run(action):
    """Runs a service call in one transaction; an ApiError becomes a clean failure."""
    try:
        result = action()
        db.session.commit()
        return result
    except ApiError as exc:
        db.session.rollback()
        raise click.ClickException(f"{exc.message} ({exc.code})") from None


def _create(role, email, name, from_stdin):
    password = _password(from_stdin)
    _run(lambda: admin.create_account(None, role, email.lower(), name or email.split("@")[0], password,
                                      current_app.config["PASSWORD_HASH"]))
    click.echo(f"{[k for k, v in ROLES.items() if v == role][0].title()} {email.lower()} created.")


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
        role_name = admin.ROLE_NAMES[user.role]
        click.echo(f"{user.email}\t{role_name}\t{user.status}\t{faces} faces\t{user.name}")


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


privacy_group = AppGroup("privacy", help="Biometric data: retention and the template key.")


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
def rotate_key(new_key_stdin):
    """Re-seal every face template under a new FACE_KEY."""
    old_key = current_app.extensions["rollcall_rules"].face_key
    text = sys.stdin.readline().strip() if new_key_stdin else sealing.new_key_text()
    try:
        new_key = sealing.parse_key(text)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    key_file = Path(current_app.config["FACE_KEY_FILE"]) if current_app.config.get("FACE_KEY_FILE") else None
    staged = key_file.with_name("face_key.new") if key_file else None
    if staged:  # the new key is on disk before any template depends on it
        staged.write_text(text)
        staged.chmod(0o600)
    try:
        count = _run(lambda: privacy.reseal_all(old_key, new_key))
    except Exception:
        if staged:
            staged.unlink(missing_ok=True)
        raise
    if staged:
        staged.replace(key_file)
        click.echo(f"{count} face templates re-sealed; the new key is in {key_file}. Restart the server.")
    else:
        click.echo(f"{count} face templates re-sealed. Set FACE_KEY to the new key on every instance "
                   "and restart them" + ("." if new_key_stdin else f":\n{text}"))


class _Console:
    """The command line as an actor: not an account, so never equal to the target."""
    id = None


def register(app):
    app.cli.add_command(users)
    app.cli.add_command(privacy_group)
