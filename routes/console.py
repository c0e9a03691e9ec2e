"""The teachers' console: the pages at / (plain ES modules and CSS from console/ in the repo),
a client of /api/v1 like any other. The browser is told to load nothing from elsewhere."""
from pathlib import Path

from flask import Blueprint, abort, send_from_directory

import routes.declarations as d

bp = Blueprint("console", __name__)

FOLDER = Path(__file__).resolve().parents[1] / "console"
MEDIA_TYPES = {".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml", ".html": "text/html"}

# No inline script or style anywhere; the camera stays on this page (kiosk, class photo);
# no other site may frame the console (a teacher's clicks cannot be hijacked).
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
       "media-src 'self' blob: mediastream:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
       "form-action 'self'; frame-ancestors 'none'")
HEADERS = {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff",
           "Referrer-Policy": "no-referrer", "Permissions-Policy": "camera=(self), microphone=()",
           "X-Frame-Options": "DENY"}


def _assets():
    """The files the console may serve: what console/ holds, nothing else."""
    return {p.relative_to(FOLDER).as_posix(): MEDIA_TYPES[p.suffix] for p in FOLDER.rglob("*")
            if p.is_file() and p.suffix in MEDIA_TYPES and p.name != "index.html"}


ASSETS = _assets()


def _send(name, media_type):
    # Unversioned file names: the browser keeps them but asks again each time (ETag, 304).
    response = send_from_directory(str(FOLDER), name, mimetype=media_type, max_age=0, conditional=True)
    response.headers["Cache-Control"] = "no-cache"
    response.headers.update(HEADERS)
    return response


@bp.get("/")
def index():
    return _send("index.html", "text/html")


@bp.get("/console/<path:asset>")
def asset(asset):
    if asset not in ASSETS:
        abort(404, description="No such file of the console.")
    return _send(asset, ASSETS[asset])


d.describe(index, summary="The teachers' console (a web page)", content={"text/html": {"schema": {"type": "string"}}})
d.describe(asset, summary="A file of the teachers' console", errors=(404,),
           content={media: {"schema": {"type": "string"}} for media in sorted(set(MEDIA_TYPES.values()))})
