"""`flask --app app ...` commands for a school's IT (`db upgrade` comes from Flask-Migrate)."""
import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy.engine import make_url

from models import db
from services import auth, rosters
from services.errors import ApiError

tokens = AppGroup("tokens", help="Login tokens.")
config_group = AppGroup("config", help="The effective configuration.")
rosters_group = AppGroup("rosters", help="Class rosters from spreadsheets.")

SECRET_SETTINGS = ("SECRET_KEY",)


@tokens.command("prune")
def prune_tokens():
    """Delete every expired login token."""
    removed = auth.prune_expired_tokens()
    db.session.commit()
    click.echo(f"{removed} expired tokens removed.")


def _shown(name, value):
    if name in SECRET_SETTINGS:
        return "********"
    if name == "SQLALCHEMY_DATABASE_URI":
        return make_url(value).render_as_string(hide_password=True)
    return value


@config_group.command("show")
def show_config():
    """Print every Rollcall setting as this app sees it, secrets masked."""
    import config

    for name in sorted(config.effective_names()):
        click.echo(f"{name} = {_shown(name, current_app.config[name])}")


@rosters_group.command("import")
@click.argument("file", type=click.File("rb"))
@click.option("--teacher", "teacher_email", required=True, help="the class's teacher (email)")
@click.option("--class", "class_name", required=True, help="the class name, as in its sessions")
def import_roster(file, teacher_email, class_name):
    """Add the students of a CSV FILE (email and optional name columns, UTF-8, ',' or ';') to every
    session of the class that has not ended. Nothing is imported when any line is bad."""
    try:
        sessions, added, unknown = rosters.import_file(file.read(), teacher_email, class_name,
                                                       current_app.config["TIMEZONE"])
    except ApiError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from None
    db.session.commit()
    click.echo(f"{added} records added to {sessions} sessions of {class_name}.")
    if unknown:
        click.echo(f"{len(unknown)} emails match no student and were left out: {', '.join(unknown)}")


def register(app):
    for group in (tokens, config_group, rosters_group):
        app.cli.add_command(group)
