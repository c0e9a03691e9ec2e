"""The API describes itself: the document validates, agrees with the registered routes and
with what the field reader enforces, and the docs page loads nothing from elsewhere."""
import re

import pytest
from flask import Blueprint
from openapi_spec_validator import validate

from models import TEACHER
from routes.answers import SUCCESS
from routes.common import endpoint
from routes.declarations import Field, describe
from routes.openapi import DOCS_ASSETS, error_codes
from tests.helpers import assert_error, post, slot_fields, START

METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE"}


def _document(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    return response.get_json()


def _routes(app):
    """{(openapi path, method)} of every registered route but Flask's static files."""
    found = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)
        found |= {(path, method.lower()) for method in rule.methods & METHODS}
    return found


def test_document_is_valid_openapi(client):
    doc = _document(client)
    validate(doc)
    assert doc["openapi"].startswith("3.")


def test_every_route_is_documented_and_every_documented_path_is_a_route(app, client):
    doc = _document(client)
    documented = {(path, method) for path, item in doc["paths"].items() for method in item}
    routes = _routes(app)
    assert routes == documented
    assert {"/healthz", "/api/v1/mark_class_attendance", "/api/v1/create_class", "/api/v1/get_create_class",
            "/api/v1/openapi.json", "/api/v1/docs"} <= set(doc["paths"])
    assert sum(path.startswith("/api/v1/") for path in doc["paths"]) >= 28


def test_fields_carry_type_limits_examples_required_and_aliases(client):
    doc = _document(client)
    body = doc["paths"]["/api/v1/create_class"]["post"]["requestBody"]["content"]
    assert set(body) == {"multipart/form-data", "application/x-www-form-urlencoded", "application/json"}
    schema = body["multipart/form-data"]["schema"]
    props = schema["properties"]
    assert props["class_name"]["maxLength"] == 200 and props["class_name"]["example"] == "Math 101"
    assert props["class_date"]["format"] == "date" and props["teacher_email_id"]["format"] == "email"
    assert "`email_id`" in props["teacher_email_id"]["description"]
    assert set(schema["required"]) == {"teacher_email_id", "class_name", "class_date", "start_time", "end_time"}
    assert "token" in props and "token" not in schema["required"]
    photo = doc["paths"]["/api/v1/mark_attendance"]["post"]["requestBody"]["content"]
    assert photo["multipart/form-data"]["schema"]["properties"]["image_file"]["format"] == "binary"
    assert photo["application/json"]["schema"]["properties"]["image_file"]["format"] == "byte"
    assert "`image`" in photo["application/json"]["schema"]["properties"]["image_file"]["description"]
    limit = doc["paths"]["/api/v1/get_classes_by_teacher"]["post"]["requestBody"]["content"]["application/json"]
    assert limit["schema"]["properties"]["limit"] == {
        "type": "integer", "minimum": 1, "maximum": 10_000, "example": 50,
        "description": "Page size; without it the listing is complete."}


def test_errors_and_security_are_documented(client):
    doc = _document(client)
    bearer = doc["components"]["securitySchemes"]["bearerAuth"]
    assert bearer["type"] == "http" and bearer["scheme"] == "bearer" and "`token`" in bearer["description"]
    check_in = doc["paths"]["/api/v1/mark_attendance"]["post"]
    assert check_in["security"] == [{"bearerAuth": []}]
    assert {"200", "400", "401", "403", "404", "409", "413", "415", "422", "429", "503"} == set(check_in["responses"])
    assert doc["paths"]["/api/v1/login_student"]["post"]["security"] == []
    e409 = doc["components"]["responses"]["Error409"]
    assert "`already_marked`" in e409["description"]
    assert "already_marked" in e409["content"]["application/json"]["schema"]["properties"]["code"]["enum"]
    error = doc["components"]["schemas"]["Error"]
    assert error["required"] == ["ERROR", "code"]


def test_error_codes_are_read_from_the_code_that_raises_them():
    codes = error_codes()
    assert {"token_missing", "token_invalid", "token_expired", "bad_credentials"} <= set(codes[401])
    assert {"missing_field", "bad_field", "bad_json", "bad_base64", "bad_time_range"} <= set(codes[400])
    assert {"no_face", "multiple_faces", "face_mismatch"} <= set(codes[422])
    assert "too_many_attempts" in codes[429] and "database_unavailable" in codes[503]


def test_the_reader_enforces_what_the_document_says(app, client, teacher):
    limits = _document(client)["paths"]["/api/v1/create_class"]["post"]["requestBody"]["content"]
    longest = limits["application/json"]["schema"]["properties"]["class_name"]["maxLength"]
    email, token = teacher
    fields = {"teacher_email_id": email, **slot_fields(START)}
    assert_error(post(client, "create_class", token, **{**fields, "class_name": "x" * (longest + 1)}), 400, "bad_field")
    assert post(client, "create_class", token, **{**fields, "class_name": "x" * longest}).status_code == 200


def test_every_operation_is_declared(client):
    """No operation is documented generically: each names its fields and its answer."""
    doc = _document(client)
    operations = [(path, method, op) for path, item in doc["paths"].items() for method, op in item.items()]
    assert len(operations) >= 45
    for path, method, op in operations:
        where = f"{method.upper()} {path}"
        assert "default" not in op["responses"], where
        success = op["responses"]["200"]["content"]
        assert success and all(body["schema"] for body in success.values()), where
        assert "not declared" not in op["description"], where
        if method == "post":
            body = op["requestBody"]["content"]
            assert set(body) == {"multipart/form-data", "application/x-www-form-urlencoded", "application/json"}
            assert all(media["schema"]["properties"] for media in body.values()), where
        if op["security"]:
            assert {"token", op["x-owner-field"]} & set(
                op["requestBody"]["content"]["application/json"]["schema"]["properties"]), where
    admin = doc["paths"]["/api/v1/admin_set_user_status"]["post"]
    assert admin["x-role"] == "admin" and {"404", "409"} <= set(admin["responses"])
    fields = admin["requestBody"]["content"]["application/json"]["schema"]
    assert {"user_email_id", "user_type", "action"} <= set(fields["required"])
    assert fields["properties"]["action"]["enum"] == ["approve", "suspend", "reactivate"]
    export = doc["paths"]["/api/v1/export_attendance"]["post"]["responses"]["200"]["content"]
    assert set(export) == {"text/csv", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def test_an_endpoint_must_declare_its_fields_and_answer(settings):
    from app import create_app
    from routes.openapi import UndeclaredEndpoint, build_document, check_declared
    bp = Blueprint("later", __name__, url_prefix="/api/v1")
    with pytest.raises(TypeError, match="takes"):
        @endpoint(bp, "/added_by_another_branch", role=TEACHER)
        def added_by_another_branch(fields, teacher):
            return {}
    with pytest.raises(TypeError, match="returns or content"):
        endpoint(bp, "/answers_nothing", role=TEACHER, takes=(), returns=None)
    with pytest.raises(ValueError, match="max_length"):  # every text field states its limit
        Field("comment")

    @bp.get("/export/<int:job_id>.csv")
    def export(job_id):
        return "a,b\n", 202, {"Content-Type": "text/csv"}

    app = create_app(settings)
    app.register_blueprint(bp)
    with pytest.raises(UndeclaredEndpoint, match="export"):
        build_document(app)
    with pytest.raises(UndeclaredEndpoint, match="export"):
        check_declared(app)  # what create_app does with the project's own blueprints
    describe(export, summary="A job's export", content={"text/csv": {"schema": {"type": "string"}}})
    doc = app.test_client().get("/api/v1/openapi.json").get_json()
    validate(doc)
    csv = doc["paths"]["/api/v1/export/{job_id}.csv"]["get"]
    assert csv["parameters"] == [{"name": "job_id", "in": "path", "required": True, "schema": {"type": "integer"}}]
    assert set(csv["responses"]) == {"200"} and "requestBody" not in csv


def test_a_view_reading_an_undeclared_field_fails_loudly(settings, teacher):
    from app import create_app
    bp = Blueprint("sloppy", __name__, url_prefix="/api/v1")

    @endpoint(bp, "/sloppy", role=TEACHER, takes=(), returns=SUCCESS)
    def sloppy(fields, user):
        return {"read": fields.text("never_declared", required=False)}

    email, token = teacher
    for testing in (True, False):  # no limit to guess: tests, the fuzzer and production all refuse it
        app = create_app({**settings, "TESTING": testing})
        app.register_blueprint(bp)
        response = post(app.test_client(), "sloppy", token, teacher_email_id=email, never_declared="x")
        assert_error(response, 500, "internal_error")


# An absolute URL, or a protocol-relative one where a string or url( starts.
EXTERNAL = re.compile(r"""(?:https?:|(?<=["'(=`]))//[a-z0-9.-]+\.[a-z]{2,}""", re.IGNORECASE)
# Strings in the Swagger UI bundle that name a host without loading from it: XML namespaces,
# links printed in error messages and in rendered Markdown, and the default document and
# validator URLs that rollcall-docs.js replaces (url) and switches off (validatorUrl: null).
INERT_HOSTS = {"www.w3.org", "reactjs.org", "redux.js.org", "github.com", "fb.me", "twitter.com",
               "www.facebook.com", "instagram.com", "soundcloud.com", "petstore.swagger.io",
               "validator.swagger.io"}


def test_docs_page_and_its_assets_load_nothing_from_elsewhere(client):
    page = client.get("/api/v1/docs")
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert EXTERNAL.findall(html) == []
    referenced = re.findall(r"""(?:src|href)="([^"]+)\"""", html)
    assert {r.rsplit("/", 1)[-1] for r in referenced} == set(DOCS_ASSETS)
    assert 'data-spec-url="/api/v1/openapi.json"' in html
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]  # the browser enforces it too
    for url in referenced:
        assert url.startswith("/api/v1/docs/"), url
        asset = client.get(url)
        assert asset.status_code == 200 and asset.mimetype == DOCS_ASSETS[url.rsplit("/", 1)[-1]], url
        text = asset.get_data().decode("utf-8", "replace")
        hosts = {re.sub(r"^(?:https?:)?//", "", m).lower() for m in EXTERNAL.findall(text)}
        if url.endswith(".css"):  # every url(...) is an inline data: URL (SVGs name their namespace)
            assert all(u.strip("'\" ").startswith("data:") for u in re.findall(r"url\(([^)]*)", text)), url
            assert hosts <= {"www.w3.org"} and "@import" not in text, url
        elif url.endswith(".js"):
            assert hosts <= INERT_HOSTS, (url, hosts - INERT_HOSTS)
    init = client.get("/api/v1/docs/rollcall-docs.js").get_data(as_text=True)
    assert "validatorUrl: null" in init and "data-spec-url" in init
    assert_error(client.get("/api/v1/docs/swagger-ui-bundle.js.map"), 404, "not_found")
