"""The API describes itself: GET /api/v1/openapi.json (OpenAPI 3.0, built from the app's
registered routes and the declarations next to each view) and GET /api/v1/docs (Swagger UI
served from the installed swagger-ui-bundle package, nothing from a CDN)."""
import ast
import functools
import re
from pathlib import Path

from apispec import APISpec
from flask import Blueprint, Response, abort, current_app, jsonify, send_from_directory, url_for
from swagger_ui_bundle import swagger_ui_path

import routes.answers as a
import routes.declarations as d
from routes.errors import HTTP_CODES
from services import errors as service_errors

bp = Blueprint("openapi", __name__, url_prefix="/api/v1")

ROOT = Path(__file__).resolve().parents[1]
TITLE, VERSION = "Rollcall", "1"
ALL_STATUSES = (400, 401, 403, 404, 409, 413, 415, 422, 429, 503)
STATUS_MEANING = {400: "Bad input", 401: "Missing, invalid or expired token", 403: "Not yours, or the wrong role",
                  404: "No such record", 409: "Conflicts with the current state", 413: "Too large",
                  415: "Not an image", 422: "The image has no usable face", 429: "Too many attempts",
                  503: "Not available right now; try again"}
DOCS_ASSETS = {"swagger-ui.css": "text/css", "swagger-ui-bundle.js": "text/javascript",
               "rollcall-docs.js": "text/javascript", "favicon-32x32.png": "image/png"}
TAGS = {"accounts": "Registration, login, profile, more faces, reviews",
        "sessions": "Class sessions, their rosters, selfie check-in",
        "class_photos": "Attendance from photos of the room",
        "corrections": "A teacher's manual corrections and the audit trail",
        "reports": "Listings and statistics", "health": "Readiness for a load balancer",
        "openapi": "This document and the docs page"}  # blueprints not listed still get their tag
OPEN_CODES = "..."  # in a status's list: some of its codes are computed at run time
CONTENT_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded", "application/json")

DESCRIPTION = """\
Class attendance by face recognition.

**Requests.** Every call is a `POST` under `/api/v1` (except `GET test_insertion`) whose body may be
`multipart/form-data` (what the web client sends), `application/x-www-form-urlencoded` or
`application/json`. Some fields are also accepted under an alias (each field's description says
so). Photos are a file part in a multipart body, or a base64 string (a `data:` URL prefix is
fine) in any body.

**Authentication.** `login_*` and `register_*` answer a `token`. Send it as
`Authorization: Bearer <token>` (the *Authorize* button) or as the `token` field. The email
field a call names must belong to the token's owner, with the right role.

**Errors** are `{"ERROR": "<what to do>", "code": "<stable_code>"}` with a real status; each
status below lists the codes it can carry. A refused request changes nothing.
"""


# -- error codes, read from the code that raises them ------------------------------------------


@functools.lru_cache(maxsize=1)
def error_codes():
    """status -> sorted codes, from every ``SomeApiError("...", code="...")`` in the project's
    modules (the top level, services/ and routes/, subpackages too), every ``error(status,
    "code", ...)`` in routes/errors.py, and the codes the error handlers give HTTP errors.
    A status also raised with a code computed at run time (``code=self.code``) gets
    OPEN_CODES in its list: its list is not complete."""
    classes = {c.__name__: c for c in _subclasses(service_errors.ApiError)}
    found = {}

    def add(status, code):
        found.setdefault(status, set()).add(code)

    sources = [*sorted(ROOT.glob("*.py")), *sorted((ROOT / "services").rglob("*.py")),
               *sorted((ROOT / "routes").rglob("*.py"))]
    for path in sources:
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
            keywords = {k.arg: k.value.value for k in node.keywords if isinstance(k.value, ast.Constant)}
            computed = any(k.arg == "code" and not isinstance(k.value, ast.Constant) for k in node.keywords)
            if name in classes and name != "ApiError":
                status = keywords.get("status", classes[name].status)
                add(status, OPEN_CODES if computed else keywords.get("code", classes[name].code))
            elif name == "error" and len(node.args) >= 2 and all(isinstance(a, ast.Constant) for a in node.args[:2]):
                add(node.args[0].value, node.args[1].value)
    for status, code in HTTP_CODES.items():
        add(status, code)
    return {status: sorted(codes) for status, codes in sorted(found.items())}


def _subclasses(cls):
    return [cls] + [s for sub in cls.__subclasses__() for s in _subclasses(sub)]


# -- the document ----------------------------------------------------------------------------


class UndeclaredEndpoint(LookupError):
    """A route without a declaration: the document refuses to guess its fields and answer."""


def _declaration(app, rule):
    declaration = getattr(app.view_functions[rule.endpoint], "api_declaration", None)
    if declaration is None:
        raise UndeclaredEndpoint(f"{rule.rule} ({rule.endpoint}) declares nothing: register it with "
                                 "routes.common.endpoint(takes=..., returns=...) or declare it with "
                                 "routes.declarations.describe()")
    return declaration


def check_declared(app):
    """Refuses to start an app with a route that declares nothing (Flask's static files aside)."""
    for rule in app.url_map.iter_rules():
        if rule.endpoint != "static":
            _declaration(app, rule)


def build_document(app):
    spec = APISpec(TITLE, VERSION, "3.0.3", info={"description": DESCRIPTION})
    spec.components.security_scheme("bearerAuth", {
        "type": "http", "scheme": "bearer",
        "description": "The token from login_* or register_*. It may also be sent as the `token` body field."})
    for name, description in TAGS.items():
        spec.tag({"name": name, "description": description})
    builder = _Builder(spec)
    codes = error_codes()
    for status in ALL_STATUSES:
        code_list = [c for c in codes.get(status, []) if c != OPEN_CODES]
        closed = OPEN_CODES not in codes.get(status, [])
        code_schema = {"type": "string", "enum": code_list} if closed else {"type": "string"}
        spec.components.response(f"Error{status}", {
            "description": f"{STATUS_MEANING[status]}. `code` is " + ("one of: " if closed else "for example: ")
                           + ", ".join(f"`{c}`" for c in code_list),
            "content": {"application/json": {"schema": {
                "allOf": [builder.ref(a.ERROR)], "properties": {"code": code_schema}}}}})
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.endpoint == "static":
            continue
        declaration = _declaration(app, rule)
        path, parameters = _openapi_path(rule)
        operations = {}
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            operations[method.lower()] = builder.operation(rule, method, declaration, parameters)
        spec.path(path=path, operations=operations)
    return spec.to_dict()


def _openapi_path(rule):
    parameters = []
    path = re.sub(r"<(?:\w+(?:\([^)]*\))?:)?(\w+)>", r"{\1}", rule.rule)
    for converter, _, name in _rule_parts(rule.rule):
        schema = {"type": "integer"} if converter == "int" else {"type": "string"}
        if rule.endpoint == "openapi.docs_asset":
            schema["enum"] = sorted(DOCS_ASSETS)
        parameters.append({"name": name, "in": "path", "required": True, "schema": schema})
    return path, parameters


def _rule_parts(rule):
    return re.findall(r"<(?:(\w+)(\([^)]*\))?:)?(\w+)>", rule)


class _Builder:
    def __init__(self, spec):
        self.spec = spec
        self.registered = set()
        self.operation_ids = set()

    def ref(self, schema):
        """``schema`` with every named schema inside it moved to components/schemas."""
        if isinstance(schema, a.Schema):
            if schema.name not in self.registered:
                self.registered.add(schema.name)
                self.spec.components.schema(schema.name, self.ref(dict(schema)))
            return {"$ref": f"#/components/schemas/{schema.name}"}
        if isinstance(schema, dict):
            return {k: self.ref(v) for k, v in schema.items()}
        if isinstance(schema, list):
            return [self.ref(v) for v in schema]
        return schema

    def operation(self, rule, method, declaration, parameters):
        name = rule.rule.rstrip("/").rsplit("/", 1)[-1].strip("<>").split(":")[-1] or "root"
        operation_id = name if name not in self.operation_ids else f"{name}_{method.lower()}"
        self.operation_ids.add(operation_id)
        op = {"operationId": operation_id, "tags": [rule.endpoint.split(".")[0]], "responses": {}}
        if parameters:
            op["parameters"] = parameters
        op["summary"] = declaration.summary or name.replace("_", " ")
        op["description"] = f"Who may call it: {declaration.role}."
        if declaration.authenticated:
            op["description"] += (f" `{declaration.email_field}` must be the token owner's email.")
            op["x-role"] = declaration.role
            op["x-owner-field"] = declaration.email_field
        op["security"] = [{"bearerAuth": []}] if declaration.authenticated else []
        if method != "GET" and declaration.fields:
            op["requestBody"] = _body(declaration.fields)
        statuses = set(declaration.errors)
        if declaration.reads_body:
            statuses |= {400, 413, 503}
        if declaration.authenticated:
            statuses |= {401, 403}
        if any(f.kind == "image" for f in declaration.fields):
            statuses |= {415, 422}
        content = declaration.content or {"application/json": {"schema": declaration.returns}}
        op["responses"]["200"] = {"description": "Success", "content": {
            media: {"schema": self.ref(body["schema"])} for media, body in content.items()}}
        if declaration.accepted is not None:
            op["responses"]["202"] = {"description": "Accepted: queued as a job", "content": {
                "application/json": {"schema": self.ref(declaration.accepted)}}}
        for status in sorted(statuses):
            op["responses"][str(status)] = {"$ref": f"#/components/responses/Error{status}"}
        return op


def _body(fields):
    content = {}
    for media in CONTENT_TYPES:
        properties = {f.name: _property(f, media) for f in fields}
        schema = {"type": "object", "properties": properties, "additionalProperties": True}
        required = [f.name for f in fields if f.required]
        if required:
            schema["required"] = required
        content[media] = {"schema": schema}
        if media == "multipart/form-data":
            encoding = {f.name: {"contentType": "image/jpeg, image/png, image/webp"}
                        for f in fields if f.kind == "image"}
            if encoding:
                content[media]["encoding"] = encoding
    return {"required": any(f.required for f in fields), "content": content}


def _property(field, media):
    """The JSON Schema of one field in one media type."""
    text = {"type": "string"}
    if field.max_length:
        text["maxLength"] = field.max_length
    if field.required:
        text["minLength"] = 1
    kind = field.kind
    if kind == "email":
        schema = {**text, "format": "email"}
    elif kind == "date":
        schema = {**text, "format": "date"}
    elif kind == "time":
        schema = {**text, "pattern": r"^[0-9]{1,2}:[0-9]{1,2}(:[0-9]{1,2})?$"}
    elif kind == "choice":
        schema = {"type": "string", "enum": list(field.options)}
    elif kind == "integer":
        schema = {"type": "integer", **_limits(field)}
    elif kind == "flag":
        schema = {**text}
    elif kind in ("emails", "dates"):  # comma-separated, or (JSON) a list
        schema = {"type": "string", "maxLength": (field.max_length + 1) * field.max_items}
        if media == "application/json":
            item = {"type": "string", "format": "email" if kind == "emails" else "date",
                    "maxLength": field.max_length}
            schema = {"oneOf": [schema, {"type": "array", "maxItems": field.max_items, "items": item}]}
    elif kind == "file":  # a CSV: a file part, or its text as a field
        schema = {"type": "string", "format": "binary"} if media == "multipart/form-data" else {"type": "string"}
    elif kind == "image":
        one = {"type": "string", "format": "binary" if media == "multipart/form-data" else "byte"}
        if field.max_items and media != "application/x-www-form-urlencoded":
            many = {"type": "array", "items": one, "minItems": 1, "maxItems": field.max_items}
            schema = many if media == "multipart/form-data" else {"oneOf": [one, many]}
        else:
            schema = one
    else:
        schema = text
    description = field.description
    if field.aliases:
        description += " Also accepted as " + ", ".join(f"`{a}`" for a in field.aliases) + "."
    if description:
        schema["description"] = description
    if field.example is not None and kind != "image":
        schema["example"] = field.example
    return schema


def _limits(field):
    limits = {}
    if field.minimum is not None:
        limits["minimum"] = field.minimum
    if field.maximum is not None:
        limits["maximum"] = field.maximum
    return limits


def document(app):
    """The app's document, built once (routes do not change while it runs)."""
    if "openapi_document" not in app.extensions:
        app.extensions["openapi_document"] = build_document(app)
    return app.extensions["openapi_document"]


# -- routes ----------------------------------------------------------------------------------


@bp.get("/openapi.json")
def openapi_json():
    return jsonify(document(current_app))


DOCS_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Rollcall API</title>
<link rel="stylesheet" href="{css}">
<link rel="icon" type="image/png" href="{icon}">
</head>
<body>
<div id="swagger-ui" data-spec-url="{spec}"></div>
<script src="{bundle}"></script>
<script src="{init}"></script>
</body>
</html>
"""

# Our initializer: the document at our own URL, no validator badge (Swagger UI would fetch it
# from the internet), the token kept across reloads.
INIT_JS = """window.addEventListener("load", function () {
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.getAttribute("data-spec-url"),
    dom_id: "#swagger-ui",
    validatorUrl: null,
    deepLinking: true,
    persistAuthorization: true,
    tryItOutEnabled: true,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout"
  });
});
"""


# The browser itself refuses to load anything from elsewhere (Swagger UI styles inline).
DOCS_CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
            "script-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
            "frame-ancestors 'none'")  # no other site may frame the page and steer clicks into it


@bp.get("/docs")
def docs():
    page = DOCS_PAGE.format(css=url_for("openapi.docs_asset", asset="swagger-ui.css"),
                            icon=url_for("openapi.docs_asset", asset="favicon-32x32.png"),
                            bundle=url_for("openapi.docs_asset", asset="swagger-ui-bundle.js"),
                            init=url_for("openapi.docs_asset", asset="rollcall-docs.js"),
                            spec=url_for("openapi.openapi_json"))
    return Response(page, mimetype="text/html", headers={"Content-Security-Policy": DOCS_CSP})


@bp.get("/docs/<asset>")
def docs_asset(asset):
    if asset not in DOCS_ASSETS:
        abort(404, description="No such file of the docs page.")
    if asset == "rollcall-docs.js":
        response = Response(INIT_JS, mimetype="text/javascript")
    else:
        response = send_from_directory(str(swagger_ui_path), asset, mimetype=DOCS_ASSETS[asset], max_age=86400)
    return response


d.describe(openapi_json, summary="This document (OpenAPI 3.0)", returns={"type": "object"})
d.describe(docs, summary="Interactive docs (Swagger UI), served from this server only",
         content={"text/html": {"schema": {"type": "string"}}})
d.describe(docs_asset, summary="A file of the docs page", errors=(404,),
         content={media: {"schema": {"type": "string"}} for media in sorted(set(DOCS_ASSETS.values()))})
