// The console's pages, chosen by the address after # (#/today, #/session?class_name=...).
import * as api from "./api.js";
import * as auth from "./auth.js";
import * as signin from "./pages/signin.js";
import * as today from "./pages/today.js";
import * as session from "./pages/session.js";
import * as photo from "./pages/photo.js";
import * as presence from "./pages/presence.js";
import * as kiosk from "./pages/kiosk.js";
import * as term from "./pages/term.js";

const PAGES = { signin, today, session, photo, presence, kiosk, term };
// The administrator's and the student's pages are fetched when first opened, so a teacher's
// phone never loads them (nor an administrator's the student's); their roles are known before.
// So are the teacher's roster editor and leave requests, opened now and then rather than at
// every class: Today stays as light as it was.
const LATER = {
  roster: [["teacher"], () => import("./pages/roster.js")],
  requests: [["teacher"], () => import("./pages/requests.js")],
  admin: [["admin"], () => import("./pages/admin.js")],
  audit: [["admin"], () => import("./pages/audit.js")],
  settings: [["admin"], () => import("./pages/settings.js")],
  mine: [["student"], () => import("./pages/mine.js")],
  checkin: [["student"], () => import("./pages/checkin.js")],
  faces: [["student"], () => import("./pages/faces.js")],
  mydata: [["student"], () => import("./pages/mydata.js")],
  account: [["student"], () => import("./pages/account.js")],
  webhooks: [["admin"], () => import("./pages/webhooks.js")],
  mail: [["admin"], () => import("./pages/mail.js")],
  leave: [["student"], () => import("./pages/leave.js")],
  signup: [[], () => import("./pages/signup.js")],
};
const PUBLIC = ["signin", "signup"]; // the pages for someone not signed in
const HOME = auth.HOME;
// A page that exports no roles is a teacher's.
const rolesOf = (name) => (Object.hasOwn(LATER, name) ? LATER[name][0] : PAGES[name].roles || ["teacher"]);
let routing = 0; // the latest route() call; an earlier one still fetching its page gives way
let leave = null; // the current page's clean-up (timers, camera)

async function route() {
  const ticket = ++routing;
  const [path, query = ""] = location.hash.replace(/^#\/?/, "").split("?");
  const role = auth.current()?.role || "teacher";
  let name = path || HOME[role];
  if (!Object.hasOwn(PAGES, name) && !Object.hasOwn(LATER, name)) name = HOME[role];
  if (!PUBLIC.includes(name) && !auth.current()) {
    location.hash = "#/signin";
    return;
  }
  if (!PUBLIC.includes(name) && !rolesOf(name).includes(role)) {
    location.hash = `#/${HOME[role]}`;
    return;
  }
  if (!PAGES[name]) {
    try {
      PAGES[name] = await LATER[name][1]();
    } catch {
      document.getElementById("view").replaceChildren(
        Object.assign(document.createElement("p"), { className: "alert error", textContent:
          "This page could not be loaded: check the connection, then reload." }));
      return;
    }
    if (ticket !== routing) return;
  }
  if (typeof leave === "function") leave();
  leave = null;
  const page = PAGES[name];
  const view = document.getElementById("view");
  document.body.classList.toggle("bare", Boolean(page.bare));
  document.body.classList.toggle("signed-out", !auth.current());
  for (const link of document.querySelectorAll("[data-role]")) link.hidden = !link.dataset.role.split(" ").includes(role);
  for (const link of document.querySelectorAll("[data-nav]")) {
    if (link.dataset.nav === name) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  view.replaceChildren();
  leave = page.render(view, new URLSearchParams(query)) || null;
  document.title = `${page.title || "Rollcall"} · Rollcall`;
  const heading = view.querySelector("h1");
  if (heading && !view.contains(document.activeElement)) {
    heading.tabIndex = -1;
    heading.focus({ preventScroll: true });
  }
}

document.getElementById("sign-out").addEventListener("click", async (event) => {
  try {
    await api.call("logout", { email_id: auth.current()?.email, teacher_email_id: undefined }, { button: event.currentTarget });
  } catch {
    // Signed out here either way; the token expires by itself if the server was not told.
  }
  auth.forget();
  location.hash = "#/signin";
});

window.addEventListener("hashchange", route);
route();
