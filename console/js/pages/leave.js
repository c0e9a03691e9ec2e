// A student asks to be excused from a class (request_leave), past, running or to come, and
// reads the teacher's answers (get_my_leave_requests). The classes offered are those the
// student endpoints name with their times: missed ones (get_missed_attendance) and those open
// now (get_pending_attendance); a class to come is typed in by its date and times.
import * as api from "../api.js";
import { when } from "../people.js";
import { alertBox, field, h, replace, showAlert } from "../dom.js";
import { describe, fromRecord, key, today } from "../slot.js";

export const title = "Leave requests";
export const roles = ["student"];
const ANOTHER = "another";
const STATUS_WORDS = { pending: "Waiting for the teacher", approved: "Approved: excused", refused: "Refused" };
const STATUS_BADGE = { pending: "needs_review", approved: "present", refused: "absent" };

function requestItem(r) {
  return h("li", {},
    h("span", {}, describe(r)),
    h("span", { className: `badge ${STATUS_BADGE[r.status]}` }, STATUS_WORDS[r.status] || r.status),
    h("span", { className: "hint" }, `asked ${when(r.requested_at)}: “${r.reason}”`),
    r.teacher_note ? h("span", {}, `${r.decided_by || "The teacher"}: “${r.teacher_note}”`) : null);
}

export function render(view) {
  const problem = alertBox();
  const notice = h("p", { className: "alert success", role: "status", tabindex: -1, hidden: true });
  const which = h("select", { name: "session" });
  const className = h("input", { type: "text", name: "class_name", list: "my-classes", maxlength: 200, autocomplete: "off" });
  const classNames = h("datalist", { id: "my-classes" });
  const date = h("input", { type: "date", name: "class_date", min: today() });
  const start = h("input", { type: "time", name: "start_time" });
  const end = h("input", { type: "time", name: "end_time" });
  const another = h("fieldset", { hidden: true }, h("legend", {}, "The class"),
    field("Class name", className), classNames, field("Date", date),
    h("div", { className: "row" }, field("Starts at (school time)", start), field("Ends at (school time)", end)));
  const reason = h("textarea", { name: "reason", rows: 3, maxlength: 1000, required: true });
  const send = h("button", { type: "submit", className: "primary" }, "Send the request");
  const form = h("form", { className: "card", novalidate: true },
    h("h2", {}, "Ask to be excused"),
    field("Which class?", which), another,
    field("Why", reason, "Your teacher reads it, and keeps it with the record if they agree."),
    problem, send);
  const list = h("ul", { className: "records", "aria-label": "My leave requests" });
  view.append(h("h1", {}, "Leave requests"),
    h("p", { className: "lead" }, "Ask your teacher to excuse you from a class you missed, are missing now, or will miss."),
    notice, form,
    h("section", { "aria-labelledby": "mine-heading" }, h("h2", { id: "mine-heading" }, "My requests"), list));

  let sessions = [];
  const chosen = () => (which.value === ANOTHER
    ? { class_name: className.value.trim(), class_date: date.value, start_time: start.value, end_time: end.value }
    : sessions.find((s) => key(s) === which.value));
  which.addEventListener("change", () => { another.hidden = which.value !== ANOTHER; });

  async function loadRequests() {
    const requests = await api.call("get_my_leave_requests");
    replace(list, requests.length ? requests.map(requestItem) : h("li", {}, "No request yet."));
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    showAlert(problem, "");
    notice.hidden = true;
    const slot = chosen();
    if (!slot || !slot.class_name || !slot.class_date || !slot.start_time || !slot.end_time) {
      showAlert(problem, "Choose the class, or give its name, date and times.");
      return;
    }
    if (!reason.value.trim()) { showAlert(problem, "Say why you ask to be excused."); reason.focus(); return; }
    try {
      const answer = await api.call("request_leave", { ...slot, reason: reason.value.trim() }, { button: send });
      reason.value = "";
      await loadRequests();
      notice.hidden = false;
      notice.textContent = answer.SUCCESS;
      notice.focus();
    } catch (error) {
      showAlert(problem, error.message);
    }
  });

  Promise.all([api.call("get_pending_attendance"), api.call("get_missed_attendance", { limit: 50 }),
    api.call("get_student_class_attd_stat")]).then(([pending, missed, latest]) => {
    sessions = [...pending, ...missed].map(fromRecord);
    replace(which, sessions.map((s) => h("option", { value: key(s) }, describe(s))),
      h("option", { value: ANOTHER }, "Another class (type it in)"));
    replace(classNames, [...new Set(latest.map((r) => r.class_name))].map((value) => h("option", { value })));
    another.hidden = which.value !== ANOTHER;
  }).catch((error) => showAlert(problem, error.message));
  loadRequests().catch((error) => showAlert(problem, error.message));
  return null;
}
