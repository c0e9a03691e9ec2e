// One session's roster, edited (update_roster): students added by email, one removed per row
// after a confirmation, and a student who already has a mark removed only when the teacher says
// so again (force); below, who changed the roster and when (get_roster_history). A page of its
// own beside the session page, which refreshes every few seconds during the class and keeps its
// Change buttons away from a Remove tapped by mistake.
import * as api from "../api.js";
import * as slots from "../slot.js";
import { byName, studentCell, studentLabel, when } from "../people.js";
import { alertBox, field, h, replace, showAlert } from "../dom.js";
import { METHOD_LABEL, STATUS_LABEL } from "./session.js"; // a record reads the same on both pages

export const title = "Roster";
export const roles = ["teacher"];
const HISTORY_PAGE = 50;

// "a, b and c"
function listed(emails) {
  return emails.length < 2 ? emails.join("") : `${emails.slice(0, -1).join(", ")} and ${emails[emails.length - 1]}`;
}

// The server takes commas only; a teacher pastes a column from a spreadsheet as well.
export function splitEmails(text) {
  return text.split(/[\s,;]+/).map((item) => item.trim()).filter(Boolean);
}

function historyItem(event) {
  const who = h("strong", {}, event.student_email_id);
  const wasMarked = event.from_status && event.from_status !== "not_enrolled";
  const what = {
    added: [`${event.by} added `, who],
    invited: [`${event.by} invited `, who, " (no account yet)"],
    joined: [who, " joined on enrolling"],
    removed: [`${event.by} removed `, who, wasMarked ? `, who was marked ${STATUS_LABEL[event.from_status] || event.from_status}` : ""],
    uninvited: [`${event.by} withdrew the invitation of `, who],
  }[event.action] || [`${event.by}: ${event.action} `, who];
  // A forced removal's note repeats from_status with a UTC time; the sentence above says it on the school's clock.
  const note = event.note && !(event.action === "removed" && wasMarked) ? h("q", {}, event.note) : null;
  return h("li", {}, h("time", { datetime: event.at }, when(event.at)), " · ", ...what, note);
}

export function render(view, params) {
  const slot = slots.fromParams(params);
  if (!slot) return slots.sayNoSession(view, "Roster");
  const problem = alertBox();
  const notice = h("div", { className: "alert success", role: "status", tabindex: -1, hidden: true });
  const caption = h("caption", {}, "On the roster");
  const body = h("tbody", {}, h("tr", {}, h("td", { colspan: 5 }, "Loading the roster…")));
  const emails = h("textarea", { name: "add_student_email_ids", rows: 3, autocomplete: "off", spellcheck: "false" });
  const add = h("button", { type: "submit", className: "primary" }, "Add to the roster");
  const addProblem = alertBox();
  const addForm = h("form", { className: "card", novalidate: true, "aria-labelledby": "add-heading" },
    h("h2", { id: "add-heading" }, "Add students"),
    field("Students' emails", emails, "One or more, separated by commas or on lines of their own. An address "
      + "without a student account is invited: the student joins this session on enrolling."),
    addProblem, add);
  const history = h("ol", { className: "history" }, h("li", {}, "Loading the changes…"));
  const older = h("button", { type: "button", hidden: true }, "Show older changes");
  view.append(
    h("p", { className: "crumbs" }, h("a", { href: "#/today" }, "Today"), " › ",
      h("a", { href: slots.link("session", slot) }, slot.class_name), " › Roster"),
    h("h1", {}, `Roster of ${slot.class_name}`),
    h("p", { className: "when" }, `${slots.dayLabel(slot.class_date)}, ${slot.start_time}–${slot.end_time} (school time)`),
    h("p", { className: "hint" }, "Changes here apply to this session only."),
    problem, notice,
    addForm, // above a long roster, where the phone shows it first
    h("div", { className: "table-wrap" },
      h("table", { className: "roster" }, caption,
        h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Student"), h("th", { scope: "col" }, "Status"),
          h("th", { scope: "col" }, "How"), h("th", { scope: "col" }, "Time"),
          h("th", { scope: "col" }, h("span", { className: "visually-hidden" }, "Remove")))),
        body)),
    h("section", { "aria-labelledby": "roster-history-heading" },
      h("h2", { id: "roster-history-heading" }, "Roster changes"), history, older));

  let stopped = false;
  let records = [];
  // The removal being confirmed: {email, forced (the server asked for force), message (its refusal), busy}.
  let confirming = null;
  let historyShown = 0;

  const say = (message) => {
    notice.textContent = message;
    notice.hidden = false;
    notice.focus();
  };

  const removeButtonOf = (email) => body.querySelector(`button[data-email="${CSS.escape(email)}"]`);

  const confirmRow = (record) => {
    const email = record.student_email_id;
    const who = studentLabel(record);
    const yes = h("button", { type: "button", className: "danger", disabled: confirming.busy,
      "aria-label": confirming.forced ? `Remove ${who} anyway` : `Remove ${who}` },
    confirming.forced ? "Remove anyway" : "Remove");
    const no = h("button", { type: "button" }, "Keep them");
    const invited = record.status === "not_enrolled";
    const content = confirming.forced
      ? [h("div", { role: "alert" },
        h("p", {}, h("strong", {}, `${who} already has a mark in this session, so Rollcall did not remove them.`)),
        h("p", {}, "Rollcall said: ", h("q", {}, confirming.message)),
        h("p", {}, "Removing them anyway deletes that mark for good; the roster changes below keep what it was."))]
      : [h("p", {}, invited
        ? `Remove ${who} from this session? They have no account yet; the invitation to this session is withdrawn.`
        : `Remove ${who} from this session? The other sessions of ${slot.class_name} keep them.`),
      confirming.message ? h("p", { className: "alert error", role: "alert" }, confirming.message) : null];
    no.addEventListener("click", () => {
      confirming = null;
      draw();
      removeButtonOf(email)?.focus();
    });
    yes.addEventListener("click", () => remove(email, confirming.forced, yes));
    const box = h("div", { className: "confirm", role: "group", "aria-label": `Remove ${who}?` },
      ...content, h("div", { className: "actions" }, yes, no));
    return h("tr", { className: "change-row" }, h("td", { colspan: 5 }, box));
  };

  const draw = () => {
    const invited = records.filter((r) => r.status === "not_enrolled").length;
    caption.textContent = `On the roster: ${records.length - invited} student${records.length - invited === 1 ? "" : "s"}`
      + (invited ? `, ${invited} invited without an account yet` : "");
    if (!records.length) {
      replace(body, h("tr", {}, h("td", { colspan: 5 }, "Nobody on the roster yet.")));
      return;
    }
    replace(body, byName(records).map((record) => {
      const email = record.student_email_id;
      const open = confirming && confirming.email === email;
      const opener = h("button", { type: "button", className: "small danger-outline", "aria-label": `Remove ${studentLabel(record)}`,
        "data-email": email, hidden: open }, "Remove");
      opener.addEventListener("click", () => {
        notice.hidden = true; // the last change's message would read as this one's
        confirming = { email, forced: false, message: null, busy: false };
        draw();
        body.querySelector(".change-row button.danger")?.focus();
      });
      const row = h("tr", { className: `status-${record.status}` },
        studentCell(record),
        h("td", {}, h("span", { className: `badge ${record.status}` }, STATUS_LABEL[record.status] || record.status)),
        h("td", {}, record.method ? METHOD_LABEL[record.method] || record.method : ""),
        h("td", {}, record.marked_time ? `at ${slots.clockTime(record.marked_time)}` : ""),
        h("td", {}, opener));
      return open ? [row, confirmRow(record)] : [row];
    }));
  };

  const load = async () => {
    try {
      records = await api.call("get_class_attendance", slot);
      if (stopped) return;
      draw();
    } catch (error) {
      if (stopped) return;
      replace(body, h("tr", {}, h("td", { colspan: 5 }, "The roster could not be read.")));
      showAlert(problem, error.message);
    }
  };

  const loadHistory = async (more = false) => {
    try {
      const offset = more ? historyShown : 0;
      const events = await api.call("get_roster_history", { ...slot, limit: HISTORY_PAGE, offset },
        more ? { button: older } : {});
      if (stopped) return;
      const items = events.map(historyItem);
      if (more) history.append(...items);
      else replace(history, items.length ? items : h("li", {}, "No change to this roster yet."));
      historyShown = offset + events.length;
      older.hidden = events.length < HISTORY_PAGE;
    } catch (error) {
      if (!stopped) showAlert(problem, error.message);
    }
  };

  // After a change the page shows the roster the server answered, and reads the history again.
  const changed = (answer, message) => {
    records = answer.records;
    draw();
    showAlert(problem, "");
    say(message);
    loadHistory();
  };

  async function remove(email, force, button) {
    confirming.busy = true;
    const who = studentLabel(records.find((r) => r.student_email_id === email) || { student_email_id: email });
    try {
      const answer = await api.call("update_roster", { ...slot, remove_student_email_ids: email, force: force ? 1 : undefined },
        { button });
      if (stopped) return;
      confirming = null;
      const gone = answer.not_on_roster.includes(email);
      changed(answer, gone ? `${who} was no longer on the roster.` : `Removed ${who} from this session.`);
    } catch (error) {
      if (stopped || !confirming) return;
      confirming = error.code === "record_marked" && !force
        ? { email, forced: true, message: error.message, busy: false }
        : { ...confirming, message: error.message, busy: false };
      draw();
      body.querySelector(".change-row button.danger")?.focus();
    }
  }

  addForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    showAlert(addProblem, "");
    notice.hidden = true;
    const asked = splitEmails(emails.value);
    if (!asked.length) {
      showAlert(addProblem, "Type at least one email address.");
      emails.focus();
      return;
    }
    try {
      const answer = await api.call("update_roster", { ...slot, add_student_email_ids: asked.join(",") }, { button: add });
      if (stopped) return;
      emails.value = "";
      const change = answer.sessions[0] || { added: [], invited: [] };
      const done = new Set([...change.added, ...change.invited]);
      const already = [...new Set(asked.map((e) => e.toLowerCase()))].filter((e) => !done.has(e));
      const words = [
        change.added.length ? `Added ${listed(change.added)}.` : "",
        change.invited.length ? `Invited ${listed(change.invited)}: no student account yet; they join when they enroll.` : "",
        already.length ? `Already on the roster: ${listed(already)}.` : ""];
      changed(answer, words.filter(Boolean).join(" ") || answer.SUCCESS);
    } catch (error) {
      showAlert(addProblem, error.message);
    }
  });
  older.addEventListener("click", () => loadHistory(true));
  load();
  loadHistory();
  return () => { stopped = true; };
}
