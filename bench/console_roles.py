"""The administrator's and the student's pages as they feel on a phone, measured as
bench.console measures the teachers' pages (Chromium, Debian's, by path, against gunicorn):
each page's first paint at 375 px with an empty cache and on a revisit, the time until its
content is on screen, and what it loads (requests and bytes).

The school: a teacher, one student on the roster of a class running now (so check-in has a
class to offer), and an administrator made as `flask users create-admin` makes one.

Run: python -m bench.console_roles [--runs 3] [--database-url URL] [--chromium /usr/bin/chromium]
Results: printed, and bench/out/console_roles.json.
"""
import argparse
import statistics
import subprocess
import sys
from pathlib import Path

from bench.common import DEFAULT_FACES as FACES
from bench.common import PASSWORD as SENT_PASSWORD
from bench.common import REPO, Server, api, default_sqlite_url, register_people, reset_database, write_result
from bench.console import ARGS, PASSWORD, PHONE, measure_page, todays_slot

ADMIN = "it@bench.test"
STUDENT = "obama@bench.test"


def create_admin(server):
    """`flask users create-admin`, in the server's environment; the password as the console sends it."""
    flask = Path(sys.executable).with_name("flask")
    subprocess.run([str(flask), "--app", "app", "users", "create-admin", ADMIN, "--name", "School IT",
                    "--password-stdin"], input=SENT_PASSWORD + "\n", text=True, cwd=REPO, env=server.env,
                   check=True, capture_output=True)


def signed_in(browser, base, email, role_label, heading):
    context = browser.new_context(viewport=PHONE, timezone_id="UTC", base_url=base)
    page = context.new_page()
    page.goto("/")
    page.get_by_role("radio", name=role_label).check()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name=heading).wait_for()
    storage = context.storage_state()
    context.close()
    return storage


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--database-url", default=None, help="default: a SQLite file under bench/out")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    database_url = args.database_url or default_sqlite_url("console_roles.db")
    reset_database(database_url)
    with Server(database_url, log_name="console_roles.log") as server, sync_playwright() as driver:
        base = f"http://127.0.0.1:{server.port}"
        teacher_token, _ = register_people(server.port, "t@bench.test", FACES / "enroll" / "lin_manuel_miranda.png",
                                           {"obama": (STUDENT, FACES / "enroll" / "obama.jpg")})
        api(server.port, "create_class", teacher_token, teacher_email_id="t@bench.test", student_email_ids=STUDENT,
            **todays_slot("Bench class"))
        create_admin(server)
        browser = driver.chromium.launch(executable_path=args.chromium, headless=True, args=ARGS)
        admin = signed_in(browser, base, ADMIN, "Administrator", "Teachers waiting for approval")
        student = signed_in(browser, base, STUDENT, "Student", "By class")
        nobody = {"cookies": [], "origins": []}
        pages = {"create an account": (nobody, "/#/signup", "#view form"),
                 "accounts": (admin, "/#/admin", ".account-card"),
                 "audit log": (admin, "/#/audit", "table.audit tbody tr"),
                 "webhooks": (admin, "/#/webhooks", "ul.accounts li"),
                 "settings": (admin, "/#/settings", ".setting"),
                 "my attendance": (student, "/#/mine", ".class-card"),
                 "check in": (student, "/#/checkin", "input[name=session]"),
                 "leave": (student, "/#/leave", "ul.records li"),
                 "my faces": (student, "/#/faces", ".enrolled li"),
                 "my data": (student, "/#/mydata", ".records li")}
        paints = {}
        for name, (storage, path, ready) in pages.items():
            cold = [measure_page(browser, base, storage, path, ready, warm=False) for _ in range(args.runs)]
            warm = [measure_page(browser, base, storage, path, ready, warm=True) for _ in range(args.runs)]
            paints[name] = {"cold": cold, "warm": warm}
            print(f"{name:17} first paint cold {statistics.median(r['fcp'] for r in cold):6.0f} ms, "
                  f"warm {statistics.median(r['fcp'] for r in warm):6.0f} ms; content on screen cold "
                  f"{statistics.median(r['content_ms'] for r in cold):6.0f} ms; {cold[0]['requests']} requests, "
                  f"{cold[0]['bytes'] / 1024:.0f} KiB of files ({cold[0]['transferred'] / 1024:.0f} KiB on the wire)",
                  flush=True)
        browser.close()
    write_result("console_roles.json", {"pages": paints})


if __name__ == "__main__":
    main()
