// The audit log for an administrator: filtered by who did it (actor), whom it was about
// (subject), the action and the dates; a page at a time, newest first; downloadable as CSV,
// built here from admin_audit_log's JSON (the API has no CSV of it).
import * as api from "../api.js";
import * as auth from "../auth.js";
import { ROLE_LABEL, csv, saveFile, when } from "../people.js";
import { alertBox, field, h, replace, showAlert } from "../dom.js";
import { today } from "../slot.js";

export const title = "Audit log";
export const roles = ["admin"];
const PAGE = 25; // entries on screen
const CHUNK = 200; // entries asked of the server at a time
const KINDS = {
  "admin.approve": "approved an account", "admin.suspend": "suspended an account",
  "admin.reactivate": "reactivated an account", "admin.create_teacher": "created a teacher",
  "admin.create_admin": "created an administrator", "admin.create_student": "created a student",
  "admin.list_users": "listed the accounts", "admin.read_audit": "read the audit log",
  "admin.transfer_sessions": "moved a teacher's sessions", "erase.account": "erased an account",
  "erase.faces": "erased the faces", "purge.faces": "faces erased after the retention period",
  "export": "exported their data", "recognition": "recognised a face",
  "recognition.candidate": "a face that may have been this person", "key.rotate": "re-sealed the face templates",
};
const COLUMNS = ["at", "kind", "actor_email_id", "actor_type", "subject_email_id", "subject_type",
  "class_name", "class_date", "start_time", "end_time", "distance", "detail"];

function typeSelect(preset) {
  return h("select", {}, Object.entries(ROLE_LABEL).map(([value, label]) =>
    h("option", { value, selected: value === preset }, label)));
}

function detailWords(entry) {
  const parts = [];
  if (entry.class_name) parts.push(`${entry.class_name}${entry.class_date ? `, ${entry.class_date} ${entry.start_time}` : ""}`);
  if (entry.distance !== null && entry.distance !== undefined) parts.push(`distance ${entry.distance}`);
  if (entry.detail) {
    parts.push(Object.entries(entry.detail).filter(([, v]) => v !== null && v !== undefined)
      .map(([k, v]) => `${k}: ${typeof v === "object" ? JSON.stringify(v) : v}`).join(", "));
  }
  return parts.join(" · ");
}

function person(email, type) {
  if (!email) return "—";
  return h("span", {}, email, h("span", { className: "hint" }, ` (${ROLE_LABEL[type] || "?"})`));
}

export function render(view) {
  const me = auth.current();
  const actor = h("input", { type: "email", name: "actor", autocomplete: "off" });
  const actorType = typeSelect("1");
  const subject = h("input", { type: "email", name: "subject", autocomplete: "off" });
  const subjectType = typeSelect("0");
  const kind = h("input", { type: "text", name: "kind", list: "audit-kinds", autocomplete: "off", maxlength: 40 });
  const kinds = h("datalist", { id: "audit-kinds" }, Object.keys(KINDS).map((value) => h("option", { value })));
  const from = h("input", { type: "date", name: "from" });
  const to = h("input", { type: "date", name: "to", max: today() });
  const show = h("button", { type: "submit", className: "primary" }, "Show entries");
  const download = h("button", { type: "button" }, "Download as CSV");
  const problem = alertBox();
  const status = h("p", { className: "hint", "aria-live": "polite" });
  const body = h("tbody");
  const previous = h("button", { type: "button" }, "Newer entries");
  const next = h("button", { type: "button" }, "Older entries");
  const form = h("form", { className: "card filters", "aria-label": "Filter the audit log" },
    h("div", { className: "row" }, field("Done by (email)", actor), field("Their account", actorType)),
    h("div", { className: "row" }, field("About (email)", subject), field("Whose account", subjectType)),
    field("Action", kind, "e.g. erase.account or admin.approve; empty: every action"), kinds,
    h("div", { className: "row" }, field("From (date)", from), field("To (date)", to)),
    problem, h("div", { className: "actions" }, show, download));
  view.append(
    h("h1", {}, "Audit log"),
    h("p", { className: "lead" }, "Who did what, and to whom: recognitions, exports, erasures and every administrator's action. Newest first."),
    form, status,
    h("div", { className: "table-wrap", tabindex: 0, role: "region", "aria-label": "Audit entries" }, h("table", { className: "audit" },
      h("caption", {}, "Audit entries"),
      h("thead", {}, h("tr", {}, ["When", "Action", "Done by", "About", "Details"].map((t) => h("th", { scope: "col" }, t)))),
      body)),
    h("div", { className: "actions" }, previous, next));

  let listing = null;

  // A listing walks the log newest first, CHUNK entries per call. Reading the log writes an
  // entry of its own (admin.read_audit) at the top: when that entry matches the server-side
  // filters, each earlier call pushed the older entries one place down, so the next offset
  // counts the calls made so far.
  function newListing() {
    const fields = {};
    if (actor.value.trim()) Object.assign(fields, { actor_email_id: actor.value.trim(), actor_type: actorType.value });
    if (subject.value.trim()) Object.assign(fields, { subject_email_id: subject.value.trim(), subject_type: subjectType.value });
    if (kind.value.trim()) fields.kind = kind.value.trim();
    const readsMatch = (!fields.kind || fields.kind === "admin.read_audit")
      && (!fields.actor_email_id || (fields.actor_email_id.toLowerCase() === me.email && fields.actor_type === "2"));
    return { fields, readsMatch, from: from.value, to: to.value, offset: 0, calls: 0, done: false, entries: [], page: 0 };
  }

  async function fetchMore(state, button) {
    const offset = state.offset + (state.readsMatch ? state.calls : 0);
    const chunk = await api.call("admin_audit_log", { ...state.fields, limit: CHUNK, offset }, { button });
    state.calls += 1;
    state.offset += chunk.length;
    if (chunk.length < CHUNK) state.done = true;
    for (const entry of chunk) {
      const day = entry.at.slice(0, 10);
      if (state.to && day > state.to) continue;
      if (state.from && day < state.from) { state.done = true; break; }
      state.entries.push(entry);
    }
  }

  async function fill(state, count, button) {
    while (!state.done && state.entries.length < count) await fetchMore(state, button);
  }

  function draw() {
    const first = listing.page * PAGE;
    const shown = listing.entries.slice(first, first + PAGE);
    replace(body, shown.length ? shown.map((e) => h("tr", {},
      h("td", {}, h("time", { datetime: e.at }, when(e.at))),
      h("td", {}, KINDS[e.kind] || e.kind, h("span", { className: "hint" }, ` ${e.kind}`)),
      h("td", { "data-label": "Done by" }, person(e.actor_email_id, e.actor_type)),
      h("td", { "data-label": "About" }, person(e.subject_email_id, e.subject_type)),
      h("td", { "data-label": "Details" }, detailWords(e))))
      : h("tr", {}, h("td", { colspan: 5 }, "No entry matches these filters.")));
    status.textContent = shown.length ? `Entries ${first + 1}–${first + shown.length}${listing.done ? ` of ${listing.entries.length}` : ""}.` : "";
    previous.disabled = listing.page === 0;
    next.disabled = listing.done && listing.entries.length <= first + PAGE;
  }

  async function open(page, button) {
    showAlert(problem, "");
    try {
      await fill(listing, (page + 1) * PAGE + 1, button);
      listing.page = page;
      draw();
    } catch (error) {
      showAlert(problem, error.message);
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (from.value && to.value && from.value > to.value) {
      showAlert(problem, "The first date is after the last one.");
      from.focus();
      return;
    }
    listing = newListing();
    open(0, show);
  });
  previous.addEventListener("click", () => open(listing.page - 1, previous));
  next.addEventListener("click", () => open(listing.page + 1, next));
  download.addEventListener("click", async () => {
    showAlert(problem, "");
    const state = newListing();
    try {
      await fill(state, Infinity, download);
      const rows = state.entries.map((e) => COLUMNS.map((c) => e[c]));
      const name = `rollcall-audit-${today()}.csv`;
      saveFile(name, csv(COLUMNS, rows), "text/csv");
      status.textContent = `Downloaded ${name} (${rows.length} entries).`;
    } catch (error) {
      showAlert(problem, error.message);
    }
  });
  listing = newListing();
  open(0, show);
  return null;
}
