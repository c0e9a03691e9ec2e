"""Webhooks: an administrator registers endpoints to be told of attendance events."""
from flask import current_app

from models import ADMIN, WEBHOOK_EVENTS
import routes.answers as a
import routes.declarations as d
from routes.answers import webhook_delivery_json, webhook_json
from routes.common import api_blueprint, endpoint
from services import webhooks
from services.errors import BadInput

bp = api_blueprint("webhooks")

URL = d.Field("url", description="Where each event is POSTed: http(s), on a public address unless "
              "WEBHOOK_ALLOW_PRIVATE.", example="https://sis.school.test/rollcall-events",
              max_length=webhooks.MAX_URL)
EVENTS = d.Field("events", description=f"The events wanted, comma-separated: {', '.join(WEBHOOK_EVENTS)}.",
                 example="attendance.marked,attendance.changed", max_length=500)
WEBHOOK_ID = d.Field("webhook_id", "integer", "The webhook's id, as admin_list_webhooks lists it.", 1,
                     minimum=1, maximum=2**31 - 1, max_length=d.MAX_INTEGER)


def _webhook_id(fields):
    webhook_id = fields.integer("webhook_id")
    if webhook_id is None:
        raise BadInput("The field webhook_id is required.", code="missing_field")
    return webhook_id


@endpoint(bp, "/admin_create_webhook", role=ADMIN, email_field="email_id", takes=(URL, EVENTS),
          returns=a.WEBHOOK_CREATED, summary="Register an endpoint for attendance events; answers its secret once")
def admin_create_webhook(fields, caller):
    events = [e.strip().lower() for e in fields.text("events").split(",") if e.strip()]
    hook, secret = webhooks.create(caller, fields.text("url"), events, current_app.config["WEBHOOK_ALLOW_PRIVATE"])
    return {"SUCCESS": "Webhook registered. Keep the secret: it is not shown again.",
            "webhook": webhook_json(hook), "secret": secret}


@endpoint(bp, "/admin_list_webhooks", role=ADMIN, email_field="email_id", takes=(), returns=a.array(a.WEBHOOK),
          summary="The registered webhooks (never their secrets)")
def admin_list_webhooks(fields, caller):
    return [webhook_json(h) for h in webhooks.all_hooks()]


@endpoint(bp, "/admin_delete_webhook", role=ADMIN, email_field="email_id", takes=(WEBHOOK_ID,), returns=a.SUCCESS,
          errors=(404,), summary="Remove a webhook and its deliveries")
def admin_delete_webhook(fields, caller):
    webhooks.delete(caller, _webhook_id(fields))
    return {"SUCCESS": "Webhook removed."}


@endpoint(bp, "/admin_list_webhook_deliveries", role=ADMIN, email_field="email_id", takes=(WEBHOOK_ID, *d.PAGE),
          returns=a.array(a.WEBHOOK_DELIVERY), errors=(404,),
          summary="A webhook's deliveries, newest first, with each one's outcome")
def admin_list_webhook_deliveries(fields, caller):
    return [webhook_delivery_json(x) for x in webhooks.deliveries(_webhook_id(fields), fields.page())]
