"""`flask --app app ...` commands for a school's IT (`db upgrade` comes from Flask-Migrate)."""
import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy.engine import make_url

from models import db
from services import auth

tokens = AppGroup("tokens", help="Login tokens.")
config_group = AppGroup("config", help="The effective configuration.")

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
    if name == "SQLALCHEMY_DATABASE_URI" or (name == "REDIS_URL" and value):
        return make_url(value).render_as_string(hide_password=True)
    return value


@config_group.command("show")
def show_config():
    """Print every Rollcall setting as this app sees it, secrets masked."""
    import config

    for name in sorted(config.effective_names()):
        click.echo(f"{name} = {_shown(name, current_app.config[name])}")


def register(app):
    for group in (tokens, config_group):
        app.cli.add_command(group)
