"""Webhooks: an administrator registers an endpoint and the events it wants; each event becomes a
signed JSON POST to it, sent later by a background sender, never inside the request.

The deliveries table is the queue (an outbox): emit() writes a row per subscribed endpoint in
the same transaction as the change it reports, so an event is sent if and only if the change
was committed. The sender (a thread in each web process, or `flask --app app webhooks
deliver`) claims due rows with a conditional UPDATE, posts them with a 5 s timeout and no
redirects, and retries a failure with growing waits for a day; each attempt's outcome stays
on the row for the administrator.

Each delivery carries ``X-Rollcall-Timestamp`` (Unix seconds) and ``X-Rollcall-Signature:
sha256=<hex HMAC-SHA256 of "<timestamp>.<body>" under the endpoint's secret>``; the body is
{"id", "type", "created_at", "data"}. Targets on loopback, private, link-local or other
non-public addresses are refused (server-side request forgery) unless WEBHOOK_ALLOW_PRIVATE.
"""
import hashlib
import hmac
import ipaddress
import json
import secrets
import socket
import urllib.error
import urllib.request
from datetime import timedelta
from urllib.parse import urlsplit

from sqlalchemy import DateTime, Integer, String, Text, func, insert, literal, select

from models import WEBHOOK_EVENTS, Webhook, WebhookDelivery, db
from services import audit, clock, periodic
from services.errors import BadInput, NotFound

TIMEOUT_SECONDS = 5
GIVE_UP_AFTER = timedelta(days=1)
# Waits after the 1st, 2nd, ... failed attempt; the last one repeats until a day has passed.
BACKOFF = (timedelta(seconds=10), timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30),
           timedelta(hours=2), timedelta(hours=6))
LEASE = timedelta(seconds=60)  # a claimed delivery is retried after this if its sender died mid-post
BATCH = 20
MAX_URL = 2000


class TargetRefused(Exception):
    """The URL's host is not a public address (or cannot be resolved)."""


def check_target(url, allow_private):
    """Refuses a URL that is not http(s) with a host, or whose host resolves to a non-public
    address (unless ``allow_private``). Returns the URL."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.username or parts.password:
        raise TargetRefused("The url must be http:// or https:// with a host name (and no user or password).")
    if allow_private:
        return url
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        infos = socket.getaddrinfo(parts.hostname, port, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError, ValueError):
        raise TargetRefused(f"The host {parts.hostname} cannot be resolved.") from None
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%")[0])
        if address.version == 6 and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        if not address.is_global:
            raise TargetRefused(f"The host {parts.hostname} is on a private, loopback or link-local address; "
                                "set WEBHOOK_ALLOW_PRIVATE=1 to allow that.")
    return url


def create(admin, url, events, allow_private):
    """Registers an endpoint; returns (webhook, secret). The secret is shown only now."""
    unknown = [e for e in events if e not in WEBHOOK_EVENTS]
    if unknown or not events:
        raise BadInput(f"events must be some of: {', '.join(WEBHOOK_EVENTS)}.", code="bad_field")
    try:
        check_target(url, allow_private)
    except TargetRefused as exc:
        raise BadInput(str(exc), code="bad_webhook_url") from None
    secret = secrets.token_hex(32)
    hook = Webhook(url=url, events=",".join(dict.fromkeys(events)), secret=secret, created_at=clock.utc_naive(),
                   created_by=admin.id)
    db.session.add(hook)
    db.session.flush()
    audit.log("webhook.created", admin, detail={"webhook_id": hook.id, "url": url, "events": hook.events})
    return hook, secret


def all_hooks():
    return db.session.scalars(select(Webhook).order_by(Webhook.id)).all()


def find(webhook_id):
    hook = db.session.get(Webhook, webhook_id)
    if hook is None:
        raise NotFound("There is no webhook with this id.", code="no_such_webhook")
    return hook


def delivery_counts(webhook_id):
    """{status: how many} of a webhook's deliveries."""
    return dict(db.session.execute(select(WebhookDelivery.status, func.count()).where(
        WebhookDelivery.webhook_id == webhook_id).group_by(WebhookDelivery.status)).all())


def delete(admin, webhook_id):
    """Removes an endpoint and its deliveries (sent or not)."""
    hook = find(webhook_id)
    audit.log("webhook.deleted", admin, detail={"webhook_id": hook.id, "url": hook.url})
    db.session.delete(hook)
    db.session.flush()


def deliveries(webhook_id, limit_offset=(None, 0)):
    """A webhook's deliveries, newest first."""
    limit, offset = limit_offset
    query = (select(WebhookDelivery).where(WebhookDelivery.webhook_id == find(webhook_id).id)
             .order_by(WebhookDelivery.id.desc()).offset(offset).limit(limit))
    return db.session.scalars(query).all()


def listening(event_type):
    """Whether any endpoint wants ``event_type`` (to skip building an event nobody receives)."""
    return any(event_type in events.split(",") for events in db.session.scalars(select(Webhook.events)))


# An event's record has the API's shape, which routes/answers.py builds; the routes hand their
# builder over here when they are registered, so that a service marking records (a class photo,
# in a web process or in a queue worker) emits the same record a selfie's event carries.
records_json = None


def emit_records(event_type, record_ids):
    """One ``event_type`` event per record, each the record as the listings show it."""
    if record_ids and listening(event_type):
        for record in records_json(record_ids):
            emit(event_type, record)


def emit(event_type, data):
    """Queues ``event_type`` with ``data`` (the API's own shape) for every endpoint that wants it,
    in the current transaction, in one INSERT ... SELECT (a check-in pays one statement, whether
    anyone listens or not). Returns the event id, or None when nobody listens."""
    if event_type not in WEBHOOK_EVENTS:
        raise ValueError(f"unknown webhook event {event_type}")
    now = clock.utc_naive()
    event_id = "evt_" + secrets.token_hex(12)
    body = json.dumps({"id": event_id, "type": event_type, "created_at": now.isoformat() + "Z", "data": data},
                      sort_keys=True, separators=(",", ":"), default=str)
    wanting = (literal(",") + Webhook.events + literal(",")).contains(f",{event_type},", autoescape=True)
    queued = db.session.execute(insert(WebhookDelivery).from_select(
        ["webhook_id", "event_id", "event_type", "body", "status", "attempts", "created_at", "next_attempt_at"],
        select(Webhook.id, literal(event_id, String), literal(event_type, String), literal(body, Text),
               literal("pending", String), literal(0, Integer), literal(now, DateTime), literal(now, DateTime))
        .where(wanting)))
    return event_id if queued.rowcount else None


def signature(secret, timestamp, body):
    """The X-Rollcall-Signature value: HMAC-SHA256 of "<timestamp>.<body>" under the secret."""
    digest = hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256).hexdigest()
    return f"sha256={digest}"


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer like any other non-2xx: it could point anywhere, inside too."""

    def redirect_request(self, *args, **kwargs):
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def _post(url, secret, body):
    """Posts one delivery; returns (HTTP status or None, error text or None)."""
    timestamp = str(int(clock.now().timestamp()))
    request = urllib.request.Request(url, data=body.encode(), method="POST", headers={
        "Content-Type": "application/json", "User-Agent": "Rollcall-Webhooks/1",
        "X-Rollcall-Timestamp": timestamp, "X-Rollcall-Signature": signature(secret, timestamp, body),
        "X-Rollcall-Event": json.loads(body)["type"]})
    try:
        with _opener.open(request, timeout=TIMEOUT_SECONDS) as response:
            return response.status, None
    except urllib.error.HTTPError as exc:
        return exc.code, f"HTTP {exc.code}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return None, str(getattr(exc, "reason", exc))[:500]


def _record_outcome(delivery_id, status, error):
    """Keeps an attempt's outcome: delivered on a 2xx, else the next attempt after the backoff,
    or failed once that would come more than a day after the event."""
    delivery = db.session.get(WebhookDelivery, delivery_id)
    if delivery is None:
        return
    finished = clock.utc_naive()
    delivery.last_attempt_at, delivery.last_status_code = finished, status
    if status is not None and 200 <= status < 300:
        delivery.status, delivery.delivered_at, delivery.last_error = "delivered", finished, None
    else:
        delivery.last_error = (error or f"HTTP {status}")[:500]
        wait = BACKOFF[min(delivery.attempts, len(BACKOFF)) - 1]
        if finished + wait > delivery.created_at + GIVE_UP_AFTER:
            delivery.status = "failed"
        else:
            delivery.next_attempt_at = finished + wait
    db.session.commit()


def deliver_due(allow_private, limit=BATCH):
    """Sends the due deliveries (at most ``limit``); returns how many were attempted."""
    now = clock.utc_naive()
    claimed = periodic.claim_due(WebhookDelivery, now, limit, LEASE)
    for delivery_id in claimed:
        target = db.session.execute(select(Webhook.url, Webhook.secret, WebhookDelivery.body)
                                    .join(Webhook, WebhookDelivery.webhook_id == Webhook.id)
                                    .where(WebhookDelivery.id == delivery_id)).first()
        db.session.commit()  # no transaction stays open while the endpoint answers
        if target is None:  # deleted meanwhile (its deliveries went with it)
            continue
        try:
            check_target(target.url, allow_private)  # DNS may have changed since it was registered
            status, error = _post(target.url, target.secret, target.body)
        except TargetRefused as exc:
            status, error = None, str(exc)
        _record_outcome(delivery_id, status, error)
    return len(claimed)


def deliver_all(allow_private):
    """Sends everything due now, batch after batch (the command); returns how many were attempted."""
    return periodic.until_empty(lambda: deliver_due(allow_private))


def start_sender(app):
    """Starts this process's webhook sender (services.periodic), every WEBHOOK_SEND_EVERY seconds;
    None when that is 0. Several processes may each run one: deliveries are claimed, not shared."""
    allow_private = app.config["WEBHOOK_ALLOW_PRIVATE"]
    return periodic.start(app, app.config["WEBHOOK_SEND_EVERY"], lambda: deliver_all(allow_private),
                          "webhook-sender")
