"""The teachers' console in a real browser: Debian's Chromium driven by Playwright, against the
app served on a free port from a thread, one fresh database per test as everywhere.

Every journey a teacher takes is walked through its labelled controls (the names a screen
reader reads), each page is checked with axe-core (no serious or critical violation), and
screenshots at phone and laptop widths land in tests/screenshots/ (not committed) to look at.
Without Chromium the tests skip, except under CI, where they fail.
"""
import csv
import io
import os
import re
import shutil
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from models import TEACHER, AttendanceEvent, AttendanceRecord, ClassSession, User, db
from services import presence
from tests.camera import i420, write_y4m
from tests.helpers import NOON, START, fixture_bytes, make_session, slot_fields

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).parent / "screenshots"
PASSWORD = "password"  # tests.helpers.PASSWORD is its MD5, as the original client sends it
WIDTHS = {"phone": (375, 740), "tablet": (768, 1024), "laptop": (1280, 800)}
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
               "--disable-sync", "--no-first-run", "--disable-dev-shm-usage", "--use-fake-device-for-media-stream",
               "--use-fake-ui-for-media-stream"]
SERIOUS = ("serious", "critical")


def _unavailable():
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install -r requirements.txt)"
    if not Path(CHROMIUM).exists():
        return f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    return None


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    reason = _unavailable()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"browser tests cannot run in CI: {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    camera = tmp_path_factory.mktemp("camera") / "obama.y4m"
    write_y4m(camera, [i420(fixture_bytes("obama_2.jpg"))] * 2)
    with sync_playwright() as driver:
        launched = driver.chromium.launch(executable_path=CHROMIUM, headless=True,
                                          args=[*LAUNCH_ARGS, f"--use-file-for-fake-video-capture={camera}"])
        yield launched
        launched.close()


@pytest.fixture(scope="session", autouse=True)
def _fresh_screenshots():
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)
    yield


@pytest.fixture
def server(app):
    """The test's app on a free port, served from a thread (as gunicorn would, one request per thread)."""
    from werkzeug.serving import make_server

    http = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{http.server_port}"
    http.shutdown()
    thread.join(5)


@pytest.fixture
def page(browser, server, at):
    """A phone-sized page whose clock, like the server's, reads NOON on 2026-03-02 and runs on."""
    at(NOON)
    context = browser.new_context(viewport={"width": 375, "height": 740}, timezone_id="UTC", locale="en-GB",
                                  accept_downloads=True, base_url=server)
    context.grant_permissions(["camera"], origin=server)
    tab = context.new_page()
    tab.clock.install(time=NOON.isoformat() + "Z")
    errors = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    tab.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    tab.set_default_timeout(15000)
    yield tab
    context.close()
    broken = ("Content Security Policy", "TypeError", "ReferenceError")
    assert not [e for e in errors if any(word in e for word in broken)], errors


def check_accessibility(page, name):
    """axe-core (from the axe-playwright-python package) over the page: no serious or critical violation."""
    from importlib.resources import files

    source = (files("axe_playwright_python") / "axe.min.js").read_text()
    page.evaluate(source)  # through the driver, so the page's CSP rightly keeps refusing inline scripts
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    bad = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3]) for v in result["violations"]
           if v["impact"] in SERIOUS]
    assert bad == [], (name, bad)


def screenshots(page, name):
    """The page at phone, tablet and laptop widths, then back to the phone."""
    SCREENSHOTS.mkdir(exist_ok=True)
    for label, (width, height) in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": height})
        page.wait_for_timeout(300)  # a page that redraws on resize (the class photo) has done so
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{label}.png"), full_page=True)
    page.set_viewport_size({"width": 375, "height": 740})


def sign_in(page, email="teacher@school.test"):
    page.goto("/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Today's classes").wait_for()


def records():
    db.session.expire_all()
    rows = db.session.execute(select(User.email, AttendanceRecord.status, AttendanceRecord.method)
                              .join(AttendanceRecord, AttendanceRecord.student_id == User.id)).all()
    return {r.email: (r.status, r.method) for r in rows}


def slot_query(start=START):
    return "&".join(f"{k}={v.replace(' ', '%20')}" for k, v in slot_fields(start).items())


# -- the console's files ---------------------------------------------------------------------


def test_the_console_is_served_with_a_strict_policy_and_loads_nothing_from_elsewhere(client):
    page = client.get("/")
    assert page.status_code == 200 and page.mimetype == "text/html"
    policy = page.headers["Content-Security-Policy"]
    for rule in ("default-src 'self'", "script-src 'self'", "img-src 'self' data: blob:", "frame-ancestors 'none'"):
        assert rule in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    html = page.get_data(as_text=True)
    assert "<script>" not in html and "style=" not in html and "<style" not in html
    assert not re.search(r"(?:src|href)=\"(?:https?:)?//", html)
    for path in re.findall(r"(?:src|href)=\"(/console/[^\"]+)\"", html):
        assert client.get(path).status_code == 200, path
    asset = client.get("/console/js/api.js")
    assert asset.mimetype == "text/javascript" and asset.headers["Cache-Control"] == "no-cache"
    assert asset.headers["ETag"]
    assert client.get("/console/js/api.js", headers={"If-None-Match": asset.headers["ETag"]}).status_code == 304
    missing = client.get("/console/js/nothing.js")
    assert missing.status_code == 404 and missing.get_json()["code"] == "not_found"
    assert client.get("/console/../config.py").status_code == 404
    for path in Path(__file__).parents[1].joinpath("console").rglob("*.*"):
        text = path.read_text()
        assert not re.search(r"https?://(?!www\.w3\.org/2000/svg)", text), path
        assert ".innerHTML" not in text and "eval(" not in text, path


def test_every_endpoint_the_console_calls_is_in_the_published_document(client):
    """The console is a client of the documented API, nothing private: every endpoint its
    modules name (api.call, api.download, and the names kept in tables) is in openapi.json."""
    documented = {path.rsplit("/", 1)[1] for path in client.get("/api/v1/openapi.json").get_json()["paths"]}
    called = set()
    for path in Path(__file__).parents[1].joinpath("console", "js").rglob("*.js"):
        called |= set(re.findall(r"api\.(?:call|download)\(\s*\"([a-z_]+)\"|(?:path|login|register): \"([a-z_]+)\"",
                                 path.read_text()))
    called = {name for pair in called for name in pair if name}
    assert len(called) >= 45 and {"login_admin", "register_teacher", "admin_erase_user"} <= called
    assert called - documented == set()


# -- journeys --------------------------------------------------------------------------------


def test_sign_in_and_see_today_with_its_counts(page, make_user, teacher):
    make_user("obama@school.test", name="Barack")
    make_user("biden@school.test", name="Joe")
    make_session("teacher@school.test", ["obama@school.test", "biden@school.test"], starts=START)
    make_session("teacher@school.test", ["obama@school.test"], starts=NOON + timedelta(days=2), name="History")
    make_session("teacher@school.test", ["obama@school.test"], starts=NOON - timedelta(days=7), name="Old class")

    page.goto("/")
    check_accessibility(page, "sign in")
    screenshots(page, "signin")
    page.get_by_label("Email").fill("teacher@school.test")
    page.get_by_label("Password").fill("not my password")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("alert").filter(has_text="Wrong email or password.").wait_for()
    assert "401" not in page.inner_text("main")

    page.get_by_label("Password").fill("")  # then by keyboard alone, from the Email field
    page.get_by_label("Email").focus()
    page.keyboard.press("Control+A")
    page.keyboard.type("teacher@school.test")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Today's classes").wait_for()
    today = page.get_by_role("list", name="Today's sessions")
    card = today.get_by_role("listitem").filter(has_text="Math 101")
    card.get_by_text("Now").wait_for()
    assert "11:55–12:55" in card.inner_text()
    counts = card.get_by_role("list", name="Counts").inner_text()
    assert re.search(r"0\s+present", counts) and re.search(r"2\s+not yet marked", counts)
    assert "History" in page.get_by_role("list", name="Later this week").inner_text()
    assert "Old class" not in page.inner_text("main")
    check_accessibility(page, "today")
    screenshots(page, "today")
    for _ in range(30):  # the keyboard reaches the session's class photo link, and Enter opens it
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.getAttribute('aria-label')") == "Class photo: Math 101, 11:55":
            break
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Class photo").wait_for()


def test_a_session_roster_takes_a_correction_with_a_note_and_shows_the_history(page, make_user, teacher):
    make_user("obama@school.test", name="Barack")
    make_user("biden@school.test", name="Joe")
    make_session("teacher@school.test", ["obama@school.test", "biden@school.test"], starts=START)
    sign_in(page)
    page.get_by_role("link", name="Roster: Math 101, 11:55").click()
    page.get_by_role("heading", name="Math 101").wait_for()
    page.get_by_text("0 of 2 present").wait_for()
    check_accessibility(page, "session")
    # a teacher reads the roster by name, the address under it
    assert page.locator(".roster th .student-name").all_inner_texts() == ["Barack", "Joe"]
    page.get_by_role("button", name="Change Joe (biden@school.test)").click()
    page.get_by_label("New status for Joe (biden@school.test)").select_option("excused")
    page.get_by_label("Note (kept in the history)").fill("Doctor's note")
    page.get_by_role("button", name="Save").click()
    page.get_by_text("1 excused").wait_for()
    assert records()["biden@school.test"] == ("excused", "manual")
    page.get_by_role("button", name="Show the change history").click()
    history = page.locator(".history")
    history.get_by_text("Doctor's note").wait_for()
    assert "Not yet marked → Excused" in history.inner_text() or "Excused" in history.inner_text()
    screenshots(page, "session")


@pytest.mark.parametrize("page_name, heading", [("session", "Class session"), ("roster", "Roster"),
                                                ("photo", "Class photo"), ("presence", "Presence code"),
                                                ("kiosk", "Door kiosk")])
def test_a_session_page_whose_link_names_no_session_says_so_and_leads_back(page, teacher, page_name, heading):
    sign_in(page)
    page.goto(f"/#/{page_name}?class_name=Math%20101")  # the date and times are missing
    page.get_by_role("heading", name=heading, exact=True).wait_for()
    assert page.get_by_text("This link names no class session.").is_visible()
    page.get_by_role("link", name="Back to today").click()
    page.get_by_role("heading", name="Today's classes").wait_for()


def test_a_lost_connection_says_so_and_the_retry_goes_through(page, make_user, teacher):
    make_user("obama@school.test", name="Barack")
    make_session("teacher@school.test", ["obama@school.test"], starts=START)
    sign_in(page)
    page.get_by_role("link", name="Roster: Math 101, 11:55").click()
    page.get_by_role("button", name="Change Barack (obama@school.test)").click()
    page.get_by_label("New status for Barack (obama@school.test)").select_option("present")
    sent = []

    def cut_once(route):
        sent.append(route.request.url)
        if len(sent) == 1:
            route.abort("internetdisconnected")
        else:
            route.continue_()

    page.route("**/api/v1/set_attendance", cut_once)
    save = page.get_by_role("button", name="Save")
    save.click()
    page.get_by_role("status").filter(has_text="connection to Rollcall was lost").wait_for()
    assert save.is_disabled()  # no second submission while the first is undecided
    screenshots(page, "connection-lost")
    page.get_by_role("button", name="Retry").click()
    page.get_by_text("1 of 1 present").wait_for()
    assert len(sent) == 2 and records()["obama@school.test"] == ("present", "manual")


def test_a_slow_answer_says_so_and_the_page_waits_for_it(page, make_user, teacher):
    make_user("obama@school.test", name="Barack")
    make_session("teacher@school.test", ["obama@school.test"], starts=START)
    sign_in(page)
    page.get_by_role("link", name="Roster: Math 101, 11:55").click()
    held = []
    page.route("**/api/v1/get_attendance_history", lambda route: held.append(route))
    show = page.get_by_role("button", name="Show the change history")
    show.click()
    page.wait_for_function("() => document.querySelector('[aria-busy=true]')")
    page.clock.run_for(7000)  # the page's clock: seven seconds without an answer
    page.get_by_role("status").filter(has_text="taking longer than usual").wait_for()
    assert show.is_disabled()
    held[0].continue_()
    page.get_by_text("No change yet.").wait_for()
    assert page.locator("#connection").is_hidden()


@pytest.mark.settings(ERROR_STATUS="200")
def test_refusals_read_the_same_when_the_server_answers_them_with_200(page, teacher):
    """ERROR_STATUS=200 (for the original client): the console still shows the refusal."""
    page.goto("/")
    page.get_by_label("Email").fill("teacher@school.test")
    page.get_by_label("Password").fill("not my password")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("alert").filter(has_text="Wrong email or password.").wait_for()
    sign_in(page)


def test_the_projector_shows_the_current_code_and_its_qr_and_moves_on_by_itself(page, make_user, teacher, at):
    make_user("obama@school.test", name="Barack")
    make_session("teacher@school.test", ["obama@school.test"], starts=START)
    session = db.session.scalar(select(ClassSession))
    presence.require_code([session])
    db.session.commit()
    expected = presence.current_code(session).code
    sign_in(page)
    page.get_by_role("link", name="Presence code: Math 101, 11:55").click()
    code = page.get_by_label("Presence code", exact=True)
    page.wait_for_function("() => document.querySelector('.code').dataset.code")
    assert code.inner_text().replace(" ", "") == expected
    assert page.get_by_role("img", name="QR code of the presence code").is_visible()
    assert re.match(r"New code in \d+ s", page.locator(".countdown").inner_text())
    check_accessibility(page, "presence")
    screenshots(page, "presence")
    at(NOON + timedelta(seconds=30))  # the server's next step, and the page's clock past its countdown
    following = presence.current_code(session).code
    assert following != expected
    page.clock.run_for(31000)
    page.wait_for_function(f"() => document.querySelector('.code').dataset.code === '{following}'")


def test_a_presence_code_refused_shows_the_servers_sentence(page, make_user, teacher):
    make_user("obama@school.test", name="Barack")
    make_session("teacher@school.test", ["obama@school.test"], starts=START)
    sign_in(page)
    page.goto(f"/#/presence?{slot_query()}")
    page.get_by_role("alert").filter(has_text="does not require a presence code").wait_for()


def _csv(text):
    return {"name": "roster.csv", "mimeType": "text/csv", "buffer": text.encode()}


def card(page, heading):
    """The form under ``heading`` (the term page has several with the same field names)."""
    return page.locator("form").filter(has=page.get_by_role("heading", name=heading, exact=True))


def fill_schedule(page, roster):
    form = card(page, "Plan a class for the term")
    form.get_by_label("Class name").fill("Biology")
    form.get_by_label("Monday").check()
    form.get_by_label("Wednesday").check()
    form.get_by_label("Starts at (school time)").fill("09:00")
    form.get_by_label("Ends at (school time)").fill("10:00")
    form.get_by_label("First day").fill("2026-03-02")
    form.get_by_label("Last day").fill("2026-03-31")
    form.get_by_label("Roster file (CSV)").set_input_files(_csv(roster))
    form.get_by_role("button", name="Create the sessions").click()


def test_a_schedule_with_a_bad_roster_line_names_it_and_saves_nothing(page, make_user, teacher):
    make_user("obama@school.test", name="Barack")
    sign_in(page)
    page.get_by_role("link", name="The term", exact=True).click()
    page.get_by_role("heading", name="The term", exact=True).wait_for()
    check_accessibility(page, "term")
    fill_schedule(page, "email,name\nobama@school.test,Barack\nnot-an-email,Nobody\n,Blank\n")
    problems = page.get_by_role("list", name="Problems in the roster file")
    problems.wait_for()
    text = problems.inner_text()
    assert "line 3" in text and "not-an-email" in text and "line 4" in text
    assert db.session.scalar(select(ClassSession).limit(1)) is None
    screenshots(page, "term-bad-roster")
    fill_schedule(page, "email,name\nobama@school.test,Barack\n")
    page.get_by_text("9 sessions created").wait_for()  # March 2026: five Mondays, four Wednesdays
    db.session.expire_all()
    assert len(db.session.scalars(select(ClassSession)).all()) == 9


def test_one_class_today_is_created_and_opened(page, make_user, teacher):
    make_user("obama@school.test", name="Barack")
    sign_in(page)
    page.get_by_text("No class today.").wait_for()
    page.get_by_role("link", name="The term", exact=True).click()
    form = card(page, "Add one class")
    form.get_by_label("Class name").fill("Chemistry")
    assert form.get_by_label("Date").input_value() == "2026-03-02"  # today, on the school's clock
    form.get_by_label("Starts at (school time)").fill("11:30")
    form.get_by_label("Ends at (school time)").fill("12:30")
    form.get_by_label("Students' emails (optional)").fill("obama@school.test, new.student@school.test")
    form.get_by_role("button", name="Create the class").click()
    form.get_by_role("link", name="Open it").click()
    page.get_by_role("heading", name="Chemistry").wait_for()
    page.get_by_role("row", name=re.compile("obama@school.test")).wait_for()
    invited = page.get_by_role("row", name=re.compile("new.student@school.test"))
    assert "No account yet" in invited.inner_text()
    page.get_by_text("0 of 1 present").wait_for()
    page.get_by_text("1 invited, without an account yet").wait_for()


def test_export_downloads_and_the_report_flags_low_attendance(page, make_user, teacher):
    make_user("obama@school.test", name="Barack")
    make_user("biden@school.test", name="Joe")
    for days in (7, 5, 2):
        make_session("teacher@school.test", ["obama@school.test", "biden@school.test"],
                     starts=NOON - timedelta(days=days), name="Biology")
    first = db.session.scalars(select(AttendanceRecord).order_by(AttendanceRecord.id)).first()
    first.status, first.method, first.marked_time = "present", "manual", NOON.replace(tzinfo=None)
    db.session.commit()
    sign_in(page)
    page.get_by_role("link", name="The term", exact=True).click()
    download_form = card(page, "Download the attendance")
    download_form.get_by_label("Class name").fill("Biology")
    with page.expect_download() as download:
        download_form.get_by_role("button", name="Download CSV").click()
    saved = download.value
    assert saved.suggested_filename.endswith(".csv")
    rows = list(csv.reader(io.StringIO(Path(saved.path()).read_text(encoding="utf-8-sig"))))
    assert len(rows) >= 3 and any("obama@school.test" in row for row in rows)
    page.get_by_text(f"Downloaded {saved.suggested_filename}.").wait_for()

    report_form = card(page, "Attendance report")
    page.get_by_role("navigation", name="On this page").get_by_role("button", name="Attendance report").click()
    focused_in = page.evaluate("document.activeElement.closest('form').querySelector('h2').textContent")
    assert focused_in == "Attendance report"
    report_form.get_by_label("Class name").fill("Biology")
    report_form.get_by_role("button", name="Show the report").click()
    table = report_form.get_by_role("table")
    table.wait_for()
    assert "Below" in table.inner_text()
    assert page.get_by_role("img", name=re.compile("Share of the roster present at each of 3 sessions")).is_visible()
    check_accessibility(page, "term-report")
    screenshots(page, "term-report")


# -- the face pipeline: class photo and door kiosk -----------------------------------------


@pytest.mark.face
@pytest.mark.settings(PHOTO_REVIEW_BAND=0.62)  # every face within tolerance goes to review
def test_a_class_photo_boxes_every_face_and_a_review_face_is_settled_in_one_tap(page, make_user, at):
    make_user("teacher@school.test", TEACHER, photo="lin_manuel_miranda.png", name="Ms Teacher")
    make_user("obama@school.test", photo="obama.jpg", name="Barack")
    make_user("biden@school.test", photo="biden.jpg", name="Joe")
    make_user("rose@school.test", photo="rose_leslie.jpg", name="Rose")
    make_session("teacher@school.test", ["obama@school.test", "biden@school.test", "rose@school.test"], starts=START)
    sign_in(page)
    page.get_by_role("link", name="Class photo: Math 101, 11:55").click()
    page.get_by_role("heading", name="Class photo").wait_for()
    check_accessibility(page, "photo-form")
    page.get_by_label("Photo of the class").set_input_files(
        {"name": "room.jpg", "mimeType": "image/jpeg", "buffer": fixture_bytes("obama_biden.jpg")})
    page.get_by_role("button", name="Mark attendance from this photo").click()
    page.get_by_text("0 of 3 on the roster present").wait_for(timeout=90000)
    assert page.locator("svg.boxes rect.frame").count() == 2
    reviews = page.locator(".face-item.needs_review")
    assert reviews.count() == 2
    check_accessibility(page, "photo-result")
    screenshots(page, "photo-review")

    barack = page.get_by_role("button", name="Yes, Barack is here")
    barack.click()
    page.get_by_text("1 of 3 on the roster present").wait_for()
    assert records()["obama@school.test"] == ("present", "manual")
    other = page.locator(".face-item.needs_review").first
    choices = other.get_by_label(re.compile("Someone else on the roster")).locator("option").all_inner_texts()
    assert choices == ["Barack (obama@school.test)", "Rose (rose@school.test)"]  # not the one already proposed
    other.get_by_role("button", name="Not in this class").click()
    assert page.locator(".face-item.needs_review").count() == 0
    assert page.locator("svg.boxes g.confirmed").count() == 1
    event = db.session.scalars(select(AttendanceEvent).where(AttendanceEvent.note.is_not(None))).one()
    assert "class photo" in event.note
    screenshots(page, "photo-settled")


@pytest.mark.settings(TIMEZONE="Pacific/Auckland")
def test_today_is_the_schools_day_whatever_the_devices_clock_says(page, make_user, teacher):
    """At NOON UTC (the phone's clock here) it is already 01:00 on 3 March in Auckland."""
    make_user("obama@school.test", name="Barack")
    make_session("teacher@school.test", ["obama@school.test"], starts=NOON + timedelta(hours=12, minutes=30),
                 name="Early bird")  # 00:30-01:30 on 3 March, school time: running now
    make_session("teacher@school.test", ["obama@school.test"], starts=START, name="Math 101")  # 2 March
    sign_in(page)
    page.get_by_role("heading", name="Today, Tue 3 Mar").wait_for()
    today = page.get_by_role("list", name="Today's sessions")
    card = today.get_by_role("listitem").filter(has_text="Early bird")
    card.get_by_text("Now").wait_for()
    assert "Math 101" not in today.inner_text()  # the device's day, but yesterday at the school


@pytest.mark.face
def test_the_door_kiosk_marks_the_student_in_front_of_the_camera(page, make_user):
    make_user("teacher@school.test", TEACHER, photo="lin_manuel_miranda.png", name="Ms Teacher")
    make_user("obama@school.test", photo="obama.jpg", name="Barack")
    make_user("biden@school.test", photo="biden.jpg", name="Joe")
    make_session("teacher@school.test", ["obama@school.test", "biden@school.test"], starts=START)
    sign_in(page)
    page.get_by_role("link", name="Door kiosk: Math 101, 11:55").click()
    page.get_by_role("status").filter(has_text="Barack").wait_for(timeout=60000)
    assert "Marked present" in page.get_by_role("status").filter(has_text="Barack").inner_text()
    assert records()["obama@school.test"] == ("present", "kiosk")
    assert records()["biden@school.test"][0] is None
    check_accessibility(page, "kiosk")
    screenshots(page, "kiosk")


def test_the_kiosk_page_sends_one_frame_at_a_time_and_shows_the_answer(page, make_user, teacher):
    """The page's side of the door, whatever the server answers: one JPEG frame in flight at a
    time with the session's fields, the name and a check on "marked", and no second frame of
    the same still picture. (The server's side is the next test, with the real endpoint.)"""
    make_user("obama@school.test", name="Barack")
    make_session("teacher@school.test", ["obama@school.test"], starts=START)
    waiting = []
    page.route("**/api/v1/kiosk_check_in", lambda route: waiting.append(route))
    sign_in(page)
    page.get_by_role("link", name="Door kiosk: Math 101, 11:55").click()
    page.get_by_role("heading", name=re.compile("Math 101")).wait_for()
    for _ in range(100):
        if waiting:
            break
        page.wait_for_timeout(100)
    assert len(waiting) == 1
    page.wait_for_timeout(1500)  # the camera keeps running; no second frame while one is unanswered
    assert len(waiting) == 1
    request = waiting[0].request
    body = request.post_data_buffer
    assert request.headers["authorization"].startswith("Bearer ")
    for name, value in slot_fields(START).items():
        assert f'name="{name}"\r\n\r\n{value}'.encode() in body
    assert b'name="image_file"; filename="frame.jpg"' in body and b"Content-Type: image/jpeg" in body
    assert b"\xff\xd8\xff" in body  # a JPEG's first bytes
    waiting[0].fulfill(json={"status": "marked", "student_email_id": "obama@school.test", "name": "Barack"})
    answer = page.get_by_role("status").filter(has_text="Barack")
    answer.wait_for()
    assert "Marked present" in answer.inner_text()
    check_accessibility(page, "kiosk")
    screenshots(page, "kiosk-marked")
    page.wait_for_timeout(1500)
    assert len(waiting) == 1  # the same still picture is not sent again

    page.get_by_role("button", name="Leave the kiosk").click()  # a student at the door cannot
    page.get_by_label("Teacher's password, to leave the kiosk").fill("guess")
    page.get_by_role("button", name="Leave", exact=True).click()
    page.get_by_role("alert").filter(has_text="Wrong email or password.").wait_for()
    page.get_by_label("Teacher's password, to leave the kiosk").fill(PASSWORD)
    page.get_by_role("button", name="Leave", exact=True).click()
    page.get_by_role("heading", name="Math 101", exact=True).wait_for()
    assert "#/session?" in page.url


@pytest.mark.face
def test_a_large_room_in_two_photos_marks_everyone_in_either(page, make_user):
    make_user("teacher@school.test", TEACHER, photo="lin_manuel_miranda.png", name="Ms Teacher")
    people = {"obama": "obama.jpg", "biden": "biden.jpg", "rose": "rose_leslie.jpg", "kit": "kit_harington.jpg"}
    for name, photo in people.items():
        make_user(f"{name}@school.test", photo=photo, name=name.title())
    make_session("teacher@school.test", [f"{name}@school.test" for name in people], starts=START)
    sign_in(page)
    page.goto(f"/#/photo?{slot_query()}")
    page.get_by_label("Photo of the class").set_input_files([
        {"name": "front.jpg", "mimeType": "image/jpeg", "buffer": fixture_bytes("obama_biden.jpg")},
        {"name": "back.jpg", "mimeType": "image/jpeg", "buffer": fixture_bytes("rose_kit.jpg")}])
    page.get_by_role("button", name="Mark attendance from this photo").click()
    page.get_by_text("4 of 4 on the roster present").wait_for(timeout=90000)
    assert page.locator("svg.boxes").count() == 2 and page.locator("svg.boxes g.matched").count() == 4
    assert {status for status, _ in records().values()} == {"present"}


def lateness():
    db.session.expire_all()
    rows = db.session.execute(
        select(User.email, AttendanceRecord.status, AttendanceRecord.method, AttendanceRecord.late)
        .join(AttendanceRecord, AttendanceRecord.student_id == User.id)).all()
    return {r.email: (r.status, r.method, r.late) for r in rows}


def test_a_teacher_sees_who_came_late_and_sets_or_clears_it_by_hand(page, make_user, teacher):
    make_user("obama@school.test", name="Barack")
    make_user("biden@school.test", name="Joe")
    make_session("teacher@school.test", ["obama@school.test", "biden@school.test"], starts=START)
    obama = db.session.scalar(select(User.id).where(User.email == "obama@school.test"))
    db.session.execute(update(AttendanceRecord).where(AttendanceRecord.student_id == obama).values(
        status="present", method="selfie", marked_time=START + timedelta(minutes=12), late=True, minutes_late=12))
    db.session.commit()
    sign_in(page)
    page.get_by_role("link", name="Roster: Math 101, 11:55").click()
    page.get_by_text("1 of 2 present (1 late)").wait_for()
    barack = page.get_by_role("row").filter(has=page.get_by_role("rowheader", name=re.compile("Barack")))
    assert "Late, 12 min" in barack.inner_text()
    page.get_by_role("button", name="Change Joe (biden@school.test)").click()
    page.get_by_label("New status for Joe (biden@school.test)").select_option("late")
    page.get_by_role("button", name="Save").click()
    page.get_by_text("2 of 2 present (2 late)").wait_for()
    assert lateness()["biden@school.test"] == ("present", "manual", True)
    page.get_by_role("button", name="Change Barack (obama@school.test)").click()
    choice = page.get_by_label("New status for Barack (obama@school.test)")
    assert choice.input_value() == "late"  # the form opens on what the record says
    choice.select_option("present")
    page.get_by_label("Note (kept in the history)").fill("The bus was late, not Barack")
    page.get_by_role("button", name="Save").click()
    page.get_by_text("2 of 2 present (1 late)").wait_for()
    assert lateness()["obama@school.test"] == ("present", "manual", False)
    assert "Late" not in barack.inner_text()
    page.get_by_role("button", name="Show the change history").click()
    page.locator(".history").get_by_text("The bus was late").wait_for()
    assert "Present, late" in page.locator(".history").inner_text()  # Joe's change
    check_accessibility(page, "session-late")
