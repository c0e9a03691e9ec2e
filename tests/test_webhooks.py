"""Webhooks: signed deliveries to a real HTTP receiver, sent by the sender and never inside the
request; retried with backoff for a day; no redirects; targets on private addresses refused."""
import hashlib
import hmac
import json
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import func, select

from models import TEACHER, Webhook, WebhookDelivery, db
from services import webhooks
from tests.helpers import NOON, START, assert_error, check_in, create_class, photograph, post, slot_fields
from tests.test_kiosk import frame, kiosk
from tests.test_photo_jobs import finished

OBAMA = "obama@school.test"


class Receiver:
    """A real HTTP server on 127.0.0.1 that records each POST and answers the statuses queued in
    ``answers`` (then 200)."""

    def __init__(self):
        self.received, self.answers = [], []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"])).decode()
                receiver.received.append((self.path, dict(self.headers), body))
                status = receiver.answers.pop(0) if receiver.answers else 200
                self.send_response(status)
                if 300 <= status < 400:
                    self.send_header("Location", f"http://127.0.0.1:{receiver.port}/redirected")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    running = Receiver()
    yield running
    running.close()


def admin_post(client, it, path, **fields):
    email, token = it
    return post(client, path, token, email_id=email, **fields)


def register(client, it, url, events="attendance.changed,attendance.marked,session.closed,leave.requested,"
             "leave.decided"):
    return admin_post(client, it, "admin_create_webhook", url=url, events=events)


def deliver(app):
    result = app.test_cli_runner().invoke(args=["webhooks", "deliver"])
    assert result.exit_code == 0, result.output
    return result.output


def verify(secret, headers, body):
    """What a receiver does: recompute the signature over "<timestamp>.<body>" and compare."""
    expected = hmac.new(secret.encode(), f"{headers['X-Rollcall-Timestamp']}.{body}".encode(),
                        hashlib.sha256).hexdigest()
    return hmac.compare_digest(headers["X-Rollcall-Signature"], f"sha256={expected}")


def set_absent(client, teacher, **extra):
    email, token = teacher
    return post(client, "set_attendance", token, teacher_email_id=email, student_email_id=OBAMA,
                **slot_fields(START), **{"status": "absent", **extra})


def deliveries():
    return db.session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)).all()


@pytest.mark.settings(WEBHOOK_ALLOW_PRIVATE=True)
def test_a_change_is_delivered_later_signed_and_its_outcome_kept(app, client, it, teacher, student, at, receiver):
    at(NOON)
    response = register(client, it, receiver.url)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    secret, hook_id = body["secret"], body["webhook"]["id"]
    assert len(secret) == 64 and body["webhook"]["events"][0] == "attendance.changed"
    listed = admin_post(client, it, "admin_list_webhooks").get_json()
    assert secret not in json.dumps(listed) and listed[0]["url"] == receiver.url
    create_class(client, teacher)
    assert set_absent(client, teacher, note="Not in class.").status_code == 200
    assert receiver.received == []  # never inside the request
    assert "1 deliveries attempted." in deliver(app)
    [(path, headers, sent)] = receiver.received
    assert path == "/hook" and headers["Content-Type"] == "application/json"
    assert verify(secret, headers, sent) and not verify("0" * 64, headers, sent)
    event = json.loads(sent)
    assert event["type"] == "attendance.changed" and event["id"].startswith("evt_")
    assert headers["X-Rollcall-Event"] == "attendance.changed"
    assert (event["data"]["student_email_id"], event["data"]["status"], event["data"]["category"]) == \
        (OBAMA, "absent", "Unexcused Absence")
    [outcome] = admin_post(client, it, "admin_list_webhook_deliveries", webhook_id=str(hook_id)).get_json()
    assert (outcome["status"], outcome["attempts"], outcome["last_status_code"], outcome["event_id"]) == \
        ("delivered", 1, 200, event["id"])
    assert admin_post(client, it, "admin_list_webhooks").get_json()[0]["deliveries"] == \
        {"pending": 0, "delivered": 1, "failed": 0}
    assert "0 deliveries attempted." in deliver(app)  # nothing sent twice


@pytest.mark.settings(WEBHOOK_ALLOW_PRIVATE=True)
def test_failures_are_retried_with_backoff_redirects_are_not_followed_and_a_day_ends_it(
        app, client, it, teacher, student, at, receiver):
    at(NOON)
    register(client, it, receiver.url)
    create_class(client, teacher)
    set_absent(client, teacher)
    receiver.answers += [500, 302]
    deliver(app)
    [delivery] = deliveries()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, 500)
    assert delivery.next_attempt_at == NOON + timedelta(seconds=10)
    deliver(app)  # not due yet
    assert len(receiver.received) == 1
    at(NOON + timedelta(seconds=11))
    deliver(app)
    db.session.expire_all()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 2, 302)
    assert [path for path, *_ in receiver.received] == ["/hook", "/hook"]  # the redirect was not followed
    receiver.answers += [503] * 50
    moment = NOON + timedelta(seconds=11)
    while delivery.status == "pending":
        moment = delivery.next_attempt_at
        at(moment)
        deliver(app)
        db.session.expire_all()
    assert delivery.status == "failed" and delivery.last_status_code == 503
    assert moment - NOON <= timedelta(days=1) and delivery.attempts < 20


def test_targets_on_private_addresses_are_refused_and_nothing_is_written(client, it):
    for url in ("http://127.0.0.1:8080/x", "http://localhost/x", "http://10.1.2.3/x", "http://192.168.0.10/x",
                "http://169.254.169.254/latest/meta-data", "http://[::1]/x", "http://[fe80::1]/x",
                "http://0.0.0.0/x"):
        assert_error(register(client, it, url), 400, "bad_webhook_url")
    for url in ("ftp://sis.school.test/x", "https://user:pw@sis.school.test/x", "not a url"):
        assert_error(register(client, it, url), 400, "bad_webhook_url")
    assert_error(register(client, it, "https://sis.school.test/x", events="attendance.teleported"),
                 400, "bad_field")
    assert db.session.scalar(select(func.count()).select_from(Webhook)) == 0


def test_a_public_target_is_checked_by_its_addresses(monkeypatch):
    def resolve(host, port, **kwargs):
        address = {"public.test": "93.184.216.34", "sneaky.test": "10.0.0.7"}[host]
        return [(None, None, None, "", (address, port))]
    monkeypatch.setattr(webhooks.socket, "getaddrinfo", resolve)
    assert webhooks.check_target("https://public.test/hook", False)
    with pytest.raises(webhooks.TargetRefused):
        webhooks.check_target("https://sneaky.test/hook", False)  # a public name for an inside address
    assert webhooks.check_target("https://sneaky.test/hook", True)


@pytest.mark.settings(WEBHOOK_ALLOW_PRIVATE=True)
def test_a_refused_request_queues_nothing_and_only_admins_manage_webhooks(client, it, teacher, student, at,
                                                                         receiver):
    at(NOON)
    register(client, it, receiver.url)
    create_class(client, teacher)
    assert_error(set_absent(client, teacher, status="gone"), 400, "bad_field")
    assert deliveries() == []
    email, token = teacher
    assert_error(post(client, "admin_create_webhook", token, email_id=email, url=receiver.url,
                      events="attendance.marked"), 403, "wrong_role")
    assert_error(admin_post(client, it, "admin_delete_webhook", webhook_id="999"), 404, "no_such_webhook")
    [hook] = admin_post(client, it, "admin_list_webhooks").get_json()
    assert admin_post(client, it, "admin_delete_webhook", webhook_id=str(hook["id"])).status_code == 200
    assert admin_post(client, it, "admin_list_webhooks").get_json() == []
    set_absent(client, teacher)
    assert deliveries() == []  # nobody listens any more


@pytest.mark.settings(WEBHOOK_ALLOW_PRIVATE=True)
def test_only_the_events_asked_for_are_sent_leave_and_closing_included(app, client, it, teacher, student, at,
                                                                      receiver):
    at(NOON)
    register(client, it, receiver.url, events="leave.requested,leave.decided,session.closed")
    create_class(client, teacher)
    email, token = student
    asked = post(client, "request_leave", token, student_email_id=email, reason="Dentist.", **slot_fields(START))
    teacher_email, teacher_token = teacher
    post(client, "decide_leave_request", teacher_token, teacher_email_id=teacher_email, decision="approve",
         leave_request_id=str(asked.get_json()["leave_request"]["id"]))
    create_class(client, teacher, start=START + timedelta(hours=2), roster="obama@school.test")
    at(NOON + timedelta(hours=4))
    app.test_cli_runner().invoke(args=["sessions", "close-ended"])
    deliver(app)
    events = [json.loads(body) for _, _, body in receiver.received]
    assert [e["type"] for e in events] == ["leave.requested", "leave.decided", "session.closed", "session.closed"]
    assert events[1]["data"]["status"] == "approved"
    assert [e["data"]["marked_absent"] for e in events[2:]] == [0, 1]  # the first: excused, nobody unmarked


@pytest.mark.settings(WEBHOOK_ALLOW_PRIVATE=True, WEBHOOK_SEND_EVERY=0.05)
def test_the_web_process_s_sender_delivers_in_the_background(app, client, it, teacher, student, at, receiver):
    at(NOON)
    register(client, it, receiver.url)
    create_class(client, teacher)
    set_absent(client, teacher)
    sender = webhooks.start_sender(app)
    try:
        for _ in range(200):  # polls for the outcome; no assertion on how long it took
            if receiver.received:
                break
            time.sleep(0.05)
    finally:
        sender.stop()
    assert len(receiver.received) == 1


@pytest.mark.face
@pytest.mark.settings(WEBHOOK_ALLOW_PRIVATE=True)
def test_a_selfie_check_in_is_an_attendance_marked_event(app, client, it, teacher, student, at, receiver):
    at(NOON)
    register(client, it, receiver.url, events="attendance.marked")
    create_class(client, teacher)
    assert check_in(client, student).status_code == 200
    deliver(app)
    [(_, _, body)] = receiver.received
    event = json.loads(body)
    assert (event["type"], event["data"]["method"], event["data"]["status"]) == ("attendance.marked", "selfie",
                                                                                 "present")


@pytest.mark.settings(WEBHOOK_ALLOW_PRIVATE=True)
def test_a_closing_that_takes_a_student_under_the_threshold_reports_them(app, client, it, teacher, student,
                                                                        make_user, at, receiver):
    at(NOON - timedelta(days=3))
    make_user("rose@school.test", name="Rose")
    register(client, it, receiver.url, events="student.low_attendance")
    roster = "obama@school.test,rose@school.test"
    teacher_email, token = teacher
    for day in (3, 2):  # two sessions held, both present
        start = START - timedelta(days=day)
        create_class(client, teacher, roster=roster, start=start)
        for email in roster.split(","):
            post(client, "set_attendance", token, teacher_email_id=teacher_email, student_email_id=email,
                 status="present", **slot_fields(start))
    yesterday = START - timedelta(days=1)
    create_class(client, teacher, roster=roster, start=yesterday)
    post(client, "set_attendance", token, teacher_email_id=teacher_email, student_email_id="rose@school.test",
         status="present", **slot_fields(yesterday))
    at(NOON)
    app.test_cli_runner().invoke(args=["sessions", "close-ended"])  # obama: 2 of 3, 66.7% < 75%
    deliver(app)
    [(_, _, body)] = receiver.received
    event = json.loads(body)
    assert event["type"] == "student.low_attendance"
    assert {k: event["data"][k] for k in ("student_email_id", "class_name", "present", "absent", "rate",
                                          "threshold")} == \
        {"student_email_id": OBAMA, "class_name": "Math 101", "present": 2, "absent": 1, "rate": 66.7,
         "threshold": 75.0}


@pytest.mark.face
@pytest.mark.settings(WEBHOOK_ALLOW_PRIVATE=True)
def test_a_kiosk_check_in_is_an_attendance_marked_event_and_a_repeat_is_not(app, client, it, make_user, at,
                                                                           receiver):
    at(NOON)
    teacher = make_user("teacher@school.test", TEACHER, photo="lin_manuel_miranda.png")
    make_user(OBAMA, photo="obama.jpg", name="Barack")
    register(client, it, receiver.url, events="attendance.marked")
    create_class(client, teacher)
    assert kiosk(client, teacher, frame("obama_2.jpg")).get_json()["status"] == "marked"
    assert kiosk(client, teacher, frame("obama_2.jpg")).get_json()["status"] == "already_marked"
    deliver(app)
    [(_, _, body)] = receiver.received
    data = json.loads(body)["data"]
    assert (data["student_email_id"], data["method"], data["late"]) == (OBAMA, "kiosk", False)


@pytest.mark.face
@pytest.mark.settings(WEBHOOK_ALLOW_PRIVATE=True)
@pytest.mark.parametrize("queued", [False, True], ids=["answered", "async_job"])
def test_a_class_photo_sends_one_attendance_marked_event_per_student_it_marks(app, client, it, make_user, at,
                                                                              receiver, queued):
    at(NOON)
    teacher = make_user("teacher@school.test", TEACHER, photo="lin_manuel_miranda.png")
    make_user(OBAMA, photo="obama.jpg", name="Barack")
    make_user("biden@school.test", photo="biden.jpg", name="Joe")
    make_user("rose@school.test", photo="rose_leslie.jpg", name="Rose")  # on the roster, not in the photo
    register(client, it, receiver.url, events="attendance.marked")
    create_class(client, teacher, roster=f"{OBAMA},biden@school.test,rose@school.test")
    for _ in range(2):  # the same room again marks nobody new, so it sends nothing
        answer = photograph(client, teacher, "obama_biden.jpg", **({"async": 1} if queued else {}))
        if queued:
            assert finished(client, teacher, answer.get_json()["job_id"])["status"] == "done"
        else:
            assert answer.status_code == 200
    deliver(app)
    marked = [json.loads(body)["data"] for _, _, body in receiver.received]
    assert sorted((m["student_email_id"], m["method"], m["status"]) for m in marked) == \
        [("biden@school.test", "photo", "present"), (OBAMA, "photo", "present")]
