"""GET /healthz for load balancers; outside /api/v1 because it is not part of the client's API."""
from flask import Blueprint, jsonify

import routes.answers as a
import routes.declarations as d
from services import health as health_service

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    body = health_service.check()
    # The probe must never see a cached answer.
    return jsonify(body), 200, {"Cache-Control": "no-store"}


d.describe(healthz, summary="Readiness for a load balancer: database reachable, face models loaded",
           returns=a.HEALTH, errors=(503,))
