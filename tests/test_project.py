"""The project's own promises: migrations match the models, the README matches the config,
the layers import one way, and the command line works."""
import ast
import re
from datetime import timedelta
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select

from config import SETTINGS, load
from models import Base, Token, db
from services import clock
from services.auth import hash_password

ROOT = Path(__file__).resolve().parents[1]


def test_migrations_build_exactly_the_models_schema(app):
    with db.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []


def test_readme_documents_every_setting_with_its_default():
    readme = (ROOT / "README.md").read_text()
    rows = dict(re.findall(r"^\| `([A-Z_]+)` \| (.+?) \|", readme, re.MULTILINE))
    for setting in SETTINGS:
        assert setting.name in rows, f"{setting.name} missing from the README's configuration table"
        assert rows[setting.name].strip("`").replace("`", "") == setting.default, setting.name


def _project_imports():
    """module -> project modules it imports, read from the source of every project module."""
    modules = {p.relative_to(ROOT).with_suffix("").as_posix().replace("/", ".").removesuffix(".__init__"): p
               for folder in ("", "routes/", "services/", "services/faces/") for p in (ROOT / folder).glob("*.py")}
    graph = {}
    for name, path in modules.items():
        imported = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                imported |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module:
                imported |= {node.module} | {f"{node.module}.{a.name}" for a in node.names}
        graph[name] = {m for m in imported if m in modules and m != name}
    return graph


def test_no_two_project_modules_import_each_other():
    graph = _project_imports()

    def reaches(start, target, seen):
        for nxt in graph[start] - seen:
            if nxt == target or reaches(nxt, target, seen | {nxt}):
                return True
        return False

    assert "services.sessions" in graph and "routes.accounts" in graph  # the walk found the packages
    assert [m for m in graph if reaches(m, m, set())] == []


def _route_modules():
    """routes/ modules that register endpoints (they define a blueprint ``bp``); the others
    (answers, declarations, fields, common, errors, limits, json_output, uploads,
    roster_input...) are helpers they share."""
    found = set()
    for path in (ROOT / "routes").glob("*.py"):
        tree = ast.parse(path.read_text())
        if any(isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "bp" for t in node.targets)
               for node in tree.body):
            found.add(f"routes.{path.stem}")
    return found


def test_no_route_module_imports_another():
    """A route module builds its answers from routes/answers.py and reads its fields through
    the shared helpers, never through another route module; the helpers import no route
    module either, so nothing reaches one route module from another. Only the package's
    __init__ (which registers the blueprints) imports them all."""
    graph = _project_imports()
    routes = _route_modules()
    assert {"routes.accounts", "routes.sessions", "routes.admin", "routes.openapi"} <= routes
    assert "routes.answers" in graph and "routes.answers" not in routes

    def reachable(start):
        seen, todo = set(), [start]
        while todo:
            for nxt in graph[todo.pop()] - seen:
                seen.add(nxt)
                todo.append(nxt)
        return seen

    for name in sorted(graph):
        if name.startswith("routes.") and name != "routes":
            assert reachable(name) & routes <= {name}, (name, sorted(reachable(name) & routes))


def test_routes_leave_face_work_and_numpy_to_the_services():
    graph = _project_imports()
    for name in graph:
        if name.startswith("routes"):
            assert "services.faces" not in graph[name], name
    numpy_users = {p.name for p in (ROOT / "services").glob("*.py") if "import numpy" in p.read_text()}
    assert numpy_users <= {"faces.py", "images.py", "detection.py"}


def test_passwords_are_hashed_with_full_cost_scrypt_by_default(monkeypatch):
    monkeypatch.delenv("PASSWORD_HASH", raising=False)
    method = load({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x", "FACE_KEY": "0" * 64})["PASSWORD_HASH"]
    assert method == "scrypt:32768:8:1"
    assert hash_password("secret", method).startswith("scrypt:32768:8:1$")


def test_cli_prunes_expired_tokens_and_shows_config_without_secrets(app, make_user, at):
    make_user("a@school.test")  # its token lives one hour
    runner = app.test_cli_runner()
    assert "0 expired tokens removed" in runner.invoke(args=["tokens", "prune"]).output
    at(clock.utc_naive() + timedelta(hours=2))
    assert "1 expired tokens removed" in runner.invoke(args=["tokens", "prune"]).output
    assert db.session.scalar(select(func.count()).select_from(Token)) == 0
    shown = runner.invoke(args=["config", "show"]).output
    assert "SECRET_KEY = ********" in shown and "test" not in shown.split("SECRET_KEY = ")[1].split("\n")[0]
    assert "FACE_TOLERANCE = 0.55" in shown and "PASSWORD_HASH = " in shown


def test_db_upgrade_command_is_available(app):
    result = app.test_cli_runner().invoke(args=["db", "upgrade", "--help"])
    assert result.exit_code == 0 and "Upgrade to a later version" in result.output
