"""The console as a teacher feels it, driven in Chromium (Debian's, by path) against gunicorn:

- each page's first paint at 375 px, cold (empty cache) and warm, the time until its content
  is on screen, and what it loads (requests and bytes);
- one class photo (12 MP, 30 faces, as bench.class_photo builds it) from opening the page
  signed in to every box drawn, by stage: upload (until the server has queued the job),
  processing (until the job is done), drawing (until the boxes and the summary are shown);
- a line of 30 students passing the door kiosk: a fake camera plays each student's probe
  photo for 1.5 s with 0.5 s of empty corridor between them (the line passes in 60 s); for
  each, the time from their face appearing to their name on screen, and whether anyone was
  named wrongly or marked twice.

Run: python -m bench.console [--runs 3] [--database-url URL] [--chromium /usr/bin/chromium]
Results: printed, and bench/out/console.json.
"""
import argparse
import statistics
import time
from datetime import datetime, timedelta

from bench.class_photo import ENROLL, PROBES, build_room, person_of
from bench.common import DEFAULT_FACES as FACES
from bench.common import Server, api, default_sqlite_url, register_people, reset_database, write_result

PASSWORD = "password"  # bench.common.PASSWORD is its MD5, as the console sends it
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]
PHONE = {"width": 375, "height": 740}


def todays_slot(name):
    """A session open now on the UTC clock (the server's TIMEZONE), kept within today."""
    now = datetime.utcnow().replace(second=0, microsecond=0)
    start = max(now - timedelta(minutes=5), now.replace(hour=0, minute=0))
    end = min(start + timedelta(minutes=50), now.replace(hour=23, minute=59))
    return {"class_name": name, "class_date": start.strftime("%Y-%m-%d"),
            "start_time": start.strftime("%H:%M"), "end_time": end.strftime("%H:%M")}


def query(slot):
    from urllib.parse import urlencode
    return urlencode(slot)


PAINT_JS = """() => {
  const paint = performance.getEntriesByName('first-contentful-paint')[0];
  const resources = performance.getEntriesByType('resource');
  const nav = performance.getEntriesByType('navigation')[0];
  return {fcp: paint ? paint.startTime : null,
          requests: resources.length + 1,
          transferred: resources.reduce((sum, r) => sum + r.transferSize, nav.transferSize),
          bytes: resources.filter(r => !r.name.includes('/api/'))
                          .reduce((sum, r) => sum + r.decodedBodySize, nav.decodedBodySize)};
}"""


def measure_page(browser, base, storage, path, ready, warm):
    context = browser.new_context(viewport=PHONE, timezone_id="UTC", storage_state=storage, base_url=base)
    page = context.new_page()
    if warm:  # the same context loaded the console once: its files are revalidated (304)
        page.goto("/")
        page.wait_for_load_state("networkidle")
    began = time.perf_counter()
    page.goto(path)
    page.locator(ready).first.wait_for(timeout=30000)
    content = time.perf_counter() - began
    figures = page.evaluate(PAINT_JS)
    context.close()
    return {**figures, "content_ms": round(content * 1000, 1)}


def class_photo(browser, base, storage, slot, image):
    context = browser.new_context(viewport=PHONE, timezone_id="UTC", storage_state=storage, base_url=base)
    page = context.new_page()
    marks = {}

    def seen(response):
        if response.url.endswith("/api/v1/mark_class_attendance"):
            marks["uploaded"] = time.perf_counter()
        elif response.url.endswith("/api/v1/get_photo_job"):
            try:
                if response.json().get("status") == "done":
                    marks["processed"] = time.perf_counter()
            except Exception:  # a body Playwright could not read: the next poll tells
                pass

    page.on("response", seen)
    began = time.perf_counter()
    page.goto(f"/#/photo?{query(slot)}")
    page.get_by_label("Photo of the class").set_input_files({"name": "room.jpg", "mimeType": "image/jpeg",
                                                             "buffer": image})
    opened = time.perf_counter()
    page.get_by_role("button", name="Mark attendance from this photo").click()
    page.get_by_text("on the roster present").wait_for(timeout=120000)
    page.locator("svg.boxes rect.frame").first.wait_for()
    drawn = time.perf_counter()
    boxes = page.locator("svg.boxes rect.frame").count()
    summary = page.locator(".summary.big").inner_text()
    context.close()
    return {"page_ms": (opened - began) * 1000, "upload_ms": (marks["uploaded"] - opened) * 1000,
            "processing_ms": (marks["processed"] - marks["uploaded"]) * 1000,
            "drawing_ms": (drawn - marks["processed"]) * 1000, "total_ms": (drawn - began) * 1000,
            "boxes": boxes, "summary": summary}


LINE = 30
SEGMENT_FRAMES, GAP_FRAMES, FPS = 3, 1, 2  # 1.5 s of each face, then 0.5 s of an empty corridor: 60 s


STRANGER_EVERY = 10  # every tenth in the line is not on the roster (the teacher's own face, enrolled)
STRANGER = "Not recognised"


def kiosk_video(path):
    """The line as a .y4m: probe photos (people repeat: 5 are enrolled) with a gap between them,
    and now and then someone who is not on the roster."""
    from tests.camera import i420, write_y4m

    gap = i420(None)
    frames, people = [], []
    for i in range(LINE):
        if i % STRANGER_EVERY == STRANGER_EVERY - 1:
            people.append(STRANGER)
            photo = FACES / "enroll" / "lin_manuel_miranda.png"
        else:
            probe = PROBES[i % len(PROBES)]
            people.append(person_of(probe))
            photo = FACES / "probe" / probe
        frames += [i420(photo.read_bytes())] * SEGMENT_FRAMES + [gap] * GAP_FRAMES
    write_y4m(path, frames, fps=FPS)
    return people


WATCH_JS = """() => {
  const video = document.querySelector('video');
  window.benchStart = performance.now() - video.currentTime * 1000;  // when the file began to play
  window.benchAnswers = [];
  new MutationObserver(() => {
    const big = document.querySelector('.kiosk-big');
    if (big) benchAnswers.push([performance.now() - benchStart, big.textContent,
                                document.querySelector('.kiosk-small')?.textContent || '']);
  }).observe(document.querySelector('.kiosk-answer'), {childList: true, subtree: true});
}"""


def kiosk_line(driver, args, base, storage, slot, people):
    """Per student: ms from their first frame to their name on screen (None: never shown)."""
    from bench.common import OUT

    browser = driver.chromium.launch(executable_path=args.chromium, headless=True, args=[
        *ARGS, "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
        f"--use-file-for-fake-video-capture={OUT / 'kiosk-line.y4m'}"])
    context = browser.new_context(viewport={"width": 1024, "height": 768}, timezone_id="UTC",
                                  storage_state=storage, base_url=base)
    context.grant_permissions(["camera"], origin=base)
    page = context.new_page()
    page.goto(f"/#/kiosk?{query(slot)}")
    page.wait_for_function("() => document.querySelector('video')?.currentTime > 0", timeout=30000)
    page.evaluate(WATCH_JS)
    segment = (SEGMENT_FRAMES + GAP_FRAMES) / FPS * 1000
    loop = segment * LINE
    offset = page.evaluate("() => performance.now() - benchStart")  # the file may be mid-way already
    page.wait_for_timeout(loop + 3000)
    answers = page.evaluate("() => benchAnswers")
    browser.close()
    # The file loops: student i appears at i * segment + k * loop; take each one's first
    # appearance after the page began to watch.
    shown, wrong = [], []
    for i, person in enumerate(people):
        appears = i * segment
        while appears < offset:
            appears += loop
        named = [t for t, name, _ in answers if appears <= t < appears + segment and name == person]
        others = [name for t, name, _ in answers if appears <= t < appears + segment
                  and name not in (person, STRANGER)]
        shown.append(named[0] - appears if named else None)
        wrong += others
    marked = [name for _, name, small in answers if small == "Marked present"]
    twice = sorted({name for name in marked if marked.count(name) > 1})
    return shown, wrong + [f"{name} marked twice" for name in twice], answers


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--database-url", default=None, help="default: a SQLite file under bench/out")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--only", choices=("pages", "photo", "kiosk"), default=None, help="one part alone")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    database_url = args.database_url or default_sqlite_url("console.db")
    reset_database(database_url)
    image, placed = build_room()
    with Server(database_url, log_name="console.log") as server, sync_playwright() as driver:
        base = f"http://127.0.0.1:{server.port}"
        teacher_token, _ = register_people(server.port, "t@bench.test", FACES / "enroll" / "lin_manuel_miranda.png",
                                           {p: (f"{p}@bench.test", FACES / "enroll" / f) for p, f in ENROLL.items()})
        roster = ",".join(f"{p}@bench.test" for p in ENROLL)
        browser = driver.chromium.launch(executable_path=args.chromium, headless=True, args=ARGS)
        context = browser.new_context(viewport=PHONE, timezone_id="UTC", base_url=base)
        page = context.new_page()
        page.goto("/")
        page.get_by_label("Email").fill("t@bench.test")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.get_by_role("heading", name="Today's classes").wait_for()
        storage = context.storage_state()
        context.close()

        first = todays_slot("Bench 0")
        api(server.port, "create_class", teacher_token, teacher_email_id="t@bench.test", student_email_ids=roster,
            require_code="1", **first)
        pages = {"sign in": ("/#/signin", "#view form"), "today": ("/", ".session-card"),
                 "session": (f"/#/session?{query(first)}", "table.roster tbody tr"),
                 "class photo": (f"/#/photo?{query(first)}", "input[type=file]"),
                 "presence code": (f"/#/presence?{query(first)}", "img.qr:not([hidden])"),
                 "the term": ("/#/term", "form")}
        paints, photos = {}, []
        for name, (path, ready) in pages.items() if args.only in (None, "pages") else ():
            state = {"cookies": [], "origins": []} if name == "sign in" else storage
            cold = [measure_page(browser, base, state, path, ready, warm=False) for _ in range(args.runs)]
            warm = [measure_page(browser, base, state, path, ready, warm=True) for _ in range(args.runs)]
            paints[name] = {"cold": cold, "warm": warm}
            print(f"{name:14} first paint cold {statistics.median(r['fcp'] for r in cold):6.0f} ms, "
                  f"warm {statistics.median(r['fcp'] for r in warm):6.0f} ms; content on screen cold "
                  f"{statistics.median(r['content_ms'] for r in cold):6.0f} ms; {cold[0]['requests']} requests, "
                  f"{cold[0]['bytes'] / 1024:.0f} KiB of files ({cold[0]['transferred'] / 1024:.0f} KiB on the wire)",
                  flush=True)

        for run in range(args.runs if args.only in (None, "photo") else 0):
            slot = todays_slot(f"Bench photo {run}")
            api(server.port, "create_class", teacher_token, teacher_email_id="t@bench.test",
                student_email_ids=roster, **slot)
            photos.append(class_photo(browser, base, storage, slot, image))
            p = photos[-1]
            print(f"class photo run {run}: {p['total_ms']:.0f} ms in all = page {p['page_ms']:.0f} + upload "
                  f"{p['upload_ms']:.0f} + processing {p['processing_ms']:.0f} + drawing {p['drawing_ms']:.0f}; "
                  f"{p['boxes']} boxes, {p['summary']}", flush=True)
        browser.close()

        shown, wrong, people = [], [], []
        if args.only not in (None, "kiosk"):
            write_result("console.json", {"pages": paints, "class_photo": photos})
            return
        line_slot = todays_slot("Bench kiosk")
        api(server.port, "create_class", teacher_token, teacher_email_id="t@bench.test", student_email_ids=roster,
            **line_slot)
        from bench.common import OUT
        people = kiosk_video(OUT / "kiosk-line.y4m")
        shown, wrong, answers = kiosk_line(driver, args, base, storage, line_slot, people)
    named = [ms for ms, person in zip(shown, people) if ms is not None and person != STRANGER]
    strangers = [ms for ms, person in zip(shown, people) if person == STRANGER]
    print(f"kiosk line of {LINE} ({len(set(people)) - 1} enrolled people repeating, {len(strangers)} not on the "
          f"roster): {len(named)} of {LINE - len(strangers)} named within their 2 s; face to name median "
          f"{statistics.median(named):.0f} ms, worst {max(named):.0f} ms; strangers told 'Not recognised': "
          f"{sum(ms is not None for ms in strangers)} of {len(strangers)}; named wrongly: {wrong or 'nobody'}"
          if named else f"kiosk line: nobody named ({answers[:5]})")
    if photos:
        print(f"class photo median: {statistics.median(p['total_ms'] for p in photos):.0f} ms "
              f"({len(placed)} faces, 4000x3000, {len(image) / 1e6:.1f} MB)")
    write_result("console.json", {"pages": paints, "class_photo": photos,
                                  "kiosk_line": {"face_to_name_ms": shown, "named_wrongly": wrong,
                                                 "people": people, "answers": answers}})


if __name__ == "__main__":
    main()
