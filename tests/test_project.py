"""The project's own promises: migrations match the models, the README matches the config."""
import re
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from config import SETTINGS
from models import Base, db

ROOT = Path(__file__).resolve().parents[1]


def test_migrations_build_exactly_the_models_schema(app):
    with db.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []


def test_readme_documents_every_setting_with_its_default():
    readme = (ROOT / "README.md").read_text()
    rows = dict(re.findall(r"^\| `([A-Z_]+)` \| (.+?) \|", readme, re.MULTILINE))
    for name, (default, _) in SETTINGS.items():
        assert name in rows, f"{name} missing from the README's configuration table"
        assert rows[name].strip("`").replace("`", "") == default, name
