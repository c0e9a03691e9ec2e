"""GET /healthz: what a load balancer sees when the instance is ready and when it is not."""
import platform

import pytest

from app import create_app
from services import health
from services.faces.models import dlib_blas
from tests.helpers import FACE_KEY


@pytest.mark.face
def test_ready_instance_answers_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body | {"blas": None} == {"status": "ok", "database": "ok", "models": "loaded", "blas": None}
    assert body["blas"] == dlib_blas()
    assert response.headers["Cache-Control"] == "no-store"


def test_unreachable_database_answers_503(tmp_path):
    # A SQLite file inside a folder that does not exist cannot be opened.
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'missing' / 'x.db'}",
                      "SECRET_KEY": "test", "FACE_KEY": FACE_KEY, "TESTING": True})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["code"] == "database_unavailable"
    assert set(response.get_json()) == {"ERROR", "code"}


def test_models_that_fail_to_load_answer_503(client, monkeypatch):
    def broken():
        raise OSError("model file missing")
    monkeypatch.setattr(health, "dlib_models", broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["code"] == "models_unavailable"


@pytest.mark.face
@pytest.mark.skipif(platform.system() != "Linux" or platform.machine() != "x86_64",
                    reason="requirements.txt builds dlib against OpenBLAS on Linux x86_64 only")
def test_dlib_runs_on_an_optimized_blas():
    # The plain install (requirements.txt) must give the encoder OpenBLAS: without it every
    # face costs about 4x as long, and the README's figures do not hold.
    assert dlib_blas().startswith("OpenBLAS"), dlib_blas()
