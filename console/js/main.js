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
import * as admin from "./pages/admin.js";
import * as audit from "./pages/audit.js";
import * as settings from "./pages/settings.js";
import * as mine from "./pages/mine.js";
import * as checkin from "./pages/checkin.js";
import * as faces from "./pages/faces.js";
import * as mydata from "./pages/mydata.js";

const PAGES = { signin, today, session, photo, presence, kiosk, term, admin, audit, settings, mine, checkin, faces, mydata };
const HOME = auth.HOME;
// A page that exports no roles is a teacher's.
const rolesOf = (page) => page.roles || ["teacher"];
let leave = null; // the current page's clean-up (timers, camera)

function route() {
  const [path, query = ""] = location.hash.replace(/^#\/?/, "").split("?");
  const role = auth.current()?.role || "teacher";
  let name = path || HOME[role];
  if (!PAGES[name]) name = HOME[role];
  if (name !== "signin" && !auth.current()) {
    location.hash = "#/signin";
    return;
  }
  if (name !== "signin" && !rolesOf(PAGES[name]).includes(role)) {
    location.hash = `#/${HOME[role]}`;
    return;
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
