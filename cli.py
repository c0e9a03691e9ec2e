"""`flask --app app ...` commands for a school's IT (`db upgrade` comes from Flask-Migrate)."""
import csv
import io

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy.engine import make_url

import cli_admin
from models import db
from services import auth, exports, roster_files, term_reports
from services.errors import ApiError
from services.faces.models import dlib_blas

tokens = AppGroup("tokens", help="Login tokens.")
config_group = AppGroup("config", help="The effective configuration.")
rosters_group = AppGroup("rosters", help="Class rosters from spreadsheets.")
reports_group = AppGroup("reports", help="Attendance across the whole school.")

SECRET_SETTINGS = ("SECRET_KEY", "FACE_KEY")


@tokens.command("prune")
def prune_tokens():
    """Delete every expired login token."""
    removed = auth.prune_expired_tokens()
    db.session.commit()
    click.echo(f"{removed} expired tokens removed.")


def _shown(name, value):
    if name in SECRET_SETTINGS:
        return "********"
    if name in ("SQLALCHEMY_DATABASE_URI", "RATELIMIT_STORAGE_URI") or (name == "REDIS_URL" and value):
        return make_url(value).render_as_string(hide_password=True)
    return value


@config_group.command("show")
def show_config():
    """Print every Rollcall setting as this app sees it, secrets masked."""
    import config

    for name in sorted(config.effective_names()):
        click.echo(f"{name} = {_shown(name, current_app.config[name])}")
    click.echo(f"# dlib's BLAS: {dlib_blas()}")


@rosters_group.command("import")
@click.argument("file", type=click.File("rb"))
@click.option("--teacher", "teacher_email", required=True, help="the class's teacher (email)")
@click.option("--class", "class_name", required=True, help="the class name, as in its sessions")
def import_roster(file, teacher_email, class_name):
    """Add the students of a CSV FILE (email and optional name columns, UTF-8, ',' or ';') to every
    session of the class that has not ended. Nothing is imported when any line is bad."""
    try:
        sessions, added, unknown = roster_files.import_file(file.read(), teacher_email, class_name,
                                                       current_app.config["TIMEZONE"])
    except ApiError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from None
    db.session.commit()
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
    out.writerow(["email", "name", "class_name", "teacher_email", "held", "present", "absent", "excused", "rate %"])
    for r in rows:
        out.writerow([*map(exports.safe_text, (r.email, r.name, r.class_name, r.teacher_email)),
                      r.held, r.present, r.absent, r.excused, f"{float(r.rate):.1f}"])
    click.echo(buffer.getvalue(), nl=False)


def register(app):
    for group in (tokens, config_group, rosters_group, reports_group):
        app.cli.add_command(group)
    cli_admin.register(app)
