// One session: the roster with each student's status, method and time, kept up to date while
// the class runs; a status set by hand with a note; the change history. Adding and removing
// students is the roster page's (roster.js), linked from here.
import * as api from "../api.js";
import * as slots from "../slot.js";
import { alertBox, field, h, replace, showAlert } from "../dom.js";
import { byName, studentCell, studentLabel } from "../people.js";

export const title = "Class session";
const POLL_MS = 4000;
export const STATUS_LABEL = { present: "Present", absent: "Absent", excused: "Excused", pending: "Not yet marked",
  not_enrolled: "No account yet" };
export const METHOD_LABEL = { selfie: "selfie", photo: "class photo", manual: "by hand", kiosk: "door kiosk" };

// The change form's choices: "late" is present with the late flag (set_attendance late=1);
// "present" clears it.
const CHOICES = [["present", "Present"], ["late", "Present, late"], ["absent", "Absent"], ["excused", "Excused"]];

function changeForm(slot, record, onDone) {
  const current = record.status === "present" && record.late ? "late" : record.status;
  const status = h("select", { name: "status" },
    CHOICES.map(([value, label]) => h("option", { value, selected: value === current }, label)));
  const note = h("input", { type: "text", name: "note", maxlength: 1000, placeholder: "e.g. doctor's note" });
  const save = h("button", { type: "submit", className: "primary" }, "Save");
  const cancel = h("button", { type: "button" }, "Cancel");
  const problem = alertBox();
  const form = h("form", { className: "change" },
    field(`New status for ${studentLabel(record)}`, status),
    field("Note (kept in the history)", note),
    problem, h("div", { className: "actions" }, save, cancel));
  cancel.addEventListener("click", () => onDone(false));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const late = status.value === "late";
      await api.call("set_attendance", { ...slot, student_email_id: record.student_email_id,
        status: late ? "present" : status.value, late: late || status.value === "present" ? Number(late) : undefined,
        note: note.value.trim() || undefined }, { button: save });
      onDone(true);
    } catch (error) {
      showAlert(problem, error.message);
    }
  });
  return form;
}

function lateLabel(record) {
  return record.minutes_late ? `Late, ${record.minutes_late} min` : "Late";
}

function historyItem(event) {
  const to = event.to_status === "present" && event.late ? "Present, late" : STATUS_LABEL[event.to_status] || "—";
  const change = event.from_status ? `${STATUS_LABEL[event.from_status]} → ${to}` : to;
  return h("li", {},
    h("time", { datetime: event.at }, slots.clockTime(event.at)), " ",
    h("strong", {}, event.student_email_id), `: ${change}, ${METHOD_LABEL[event.method] || event.method}`,
    ` by ${event.by}`, event.note ? h("q", {}, event.note) : null);
}

export function render(view, params) {
  const slot = slots.fromParams(params);
  if (!slot) return slots.sayNoSession(view, "Class session");
  const problem = alertBox();
  const summary = h("p", { className: "summary", "aria-live": "polite" });
  const live = h("p", { className: "hint" });
  const body = h("tbody");
  const history = h("ol", { className: "history" });
  const historyButton = h("button", { type: "button" }, "Show the change history");
  view.append(
    h("p", { className: "crumbs" }, h("a", { href: "#/today" }, "Today"), " › Session"),
    h("h1", {}, slot.class_name),
    h("p", { className: "when" }, `${slots.dayLabel(slot.class_date)}, ${slot.start_time}–${slot.end_time} (school time)`),
    h("div", { className: "actions" },
      h("a", { className: "button primary", href: slots.link("photo", slot) }, "Class photo"),
      h("a", { className: "button", href: slots.link("presence", slot) }, "Presence code"),
      h("a", { className: "button", href: slots.link("kiosk", slot) }, "Door kiosk"),
      h("a", { className: "button", href: slots.link("roster", slot) }, "Edit the roster")),
    problem, summary,
    h("div", { className: "table-wrap" },
      h("table", { className: "roster" },
        h("caption", {}, "Roster"),
        h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Student"), h("th", { scope: "col" }, "Status"),
          h("th", { scope: "col" }, "How"), h("th", { scope: "col" }, "Time"), h("th", { scope: "col" }, h("span", { className: "visually-hidden" }, "Change")))),
        body)),
    live,
    h("section", { "aria-labelledby": "history-heading" }, h("h2", { id: "history-heading" }, "Change history"), historyButton, history));

  let stopped = false;
  let timer = null;
  let editing = null; // the student whose change form is open: polls leave it alone

  const draw = (records) => {
    const counts = { present: 0, absent: 0, excused: 0, pending: 0, not_enrolled: 0 };
    for (const record of records) counts[record.status] = (counts[record.status] || 0) + 1;
    const enrolled = records.length - counts.not_enrolled;
    const late = records.filter((r) => r.status === "present" && r.late).length;
    summary.textContent = `${counts.present} of ${enrolled} present${late ? ` (${late} late)` : ""} · ${counts.absent} absent · `
      + `${counts.excused} excused · ${counts.pending} not yet marked`
      + (counts.not_enrolled ? ` · ${counts.not_enrolled} invited, without an account yet` : "");
    replace(body, byName(records).map((record) => {
      // An invited email has no record to change until its student enrolls.
      const change = record.status === "not_enrolled" ? h("span", { className: "hint" }, "joins on enrolling")
        : h("button", { type: "button", className: "small", "aria-label": `Change ${studentLabel(record)}` }, "Change");
      const row = h("tr", { className: `status-${record.status}` },
        studentCell(record),
        h("td", {}, h("span", { className: `badge ${record.status}` }, STATUS_LABEL[record.status] || record.status),
          record.status === "present" && record.late ? [" ", h("span", { className: "badge late" }, lateLabel(record))] : null),
        h("td", {}, record.method ? METHOD_LABEL[record.method] || record.method : ""),
        h("td", {}, record.marked_time ? `at ${slots.clockTime(record.marked_time)}` : ""),
        h("td", {}, change));
      const rows = [row];
      if (editing === record.student_email_id) {
        const formRow = h("tr", { className: "change-row" }, h("td", { colspan: 5 }, changeForm(slot, record, (saved) => {
          editing = null;
          load(false);
          if (saved && !history.hidden && history.childElementCount) loadHistory();
        })));
        rows.push(formRow);
      }
      change.addEventListener("click", () => { editing = record.student_email_id; draw(records); body.querySelector(".change-row select")?.focus(); });
      return rows;
    }));
  };

  const load = async (quiet) => {
    clearTimeout(timer);
    try {
      const records = await api.call("get_class_attendance", slot, { quiet });
      if (stopped) return;
      showAlert(problem, "");
      if (!editing) draw(records);
      const running = slots.phase(slot) === "running";
      live.textContent = running ? "Updates by itself every few seconds while the class runs." : "";
      if (running && !document.hidden) timer = setTimeout(() => load(true), POLL_MS);
    } catch (error) {
      if (stopped) return;
      showAlert(problem, error instanceof api.ConnectionLost ? "Connection lost; retrying every few seconds." : error.message);
      if (error instanceof api.ConnectionLost) timer = setTimeout(() => load(true), POLL_MS);
    }
  };

  const loadHistory = async () => {
    try {
      const events = await api.call("get_attendance_history", slot, { button: historyButton });
      replace(history, events.length ? events.map(historyItem) : h("li", {}, "No change yet."));
      historyButton.textContent = "Refresh the change history";
    } catch (error) {
      showAlert(problem, error.message);
    }
  };
  historyButton.addEventListener("click", loadHistory);
  // A hidden tab stops polling; shown again, it reads the roster at once.
  const onVisible = () => { if (!document.hidden) load(true); };
  document.addEventListener("visibilitychange", onVisible);
  load(false);
  return () => { stopped = true; clearTimeout(timer); document.removeEventListener("visibilitychange", onVisible); };
}
