// The school's settings as the server runs them (admin_get_settings), read-only: the few that
// shape a school's day first, in plain words, then every setting as `flask config show` lists
// it. They are changed in the server's environment, not here.
import * as api from "../api.js";
import { alertBox, h, replace, showAlert } from "../dom.js";

export const title = "Settings";
export const roles = ["admin"];

const SIGNUP_WORDS = {
  approval: "New teachers sign up, then wait for an administrator's approval.",
  open: "Anyone may sign up as a teacher and start at once.",
  closed: "Only administrators create teacher accounts.",
};

// The day-to-day settings: a label and the value in words.
const DAILY = [
  ["TEACHER_SIGNUP", "Teacher sign-up", (v) => SIGNUP_WORDS[v] || v],
  ["STUDENT_EMAIL_DOMAINS", "Who may enrol as a student", (v) => (v && v.length ? `Addresses at ${v.join(", ")}` : "Any email address")],
  ["LOW_ATTENDANCE_THRESHOLD", "Low attendance", (v) => `A student under ${v}% is flagged in the attendance report`],
  ["FACE_RETENTION_DAYS", "Face retention", (v) => (v > 0 ? `Faces of students unseen for ${v} days are erased` : "Faces are kept until erased")],
  ["ERASE_ATTENDANCE", "Erasing a student", (v) => (v ? "Deletes their attendance records" : "Keeps their attendance records, pseudonymised")],
  ["CHECKIN_GRACE_MINUTES", "Selfie check-in opens", (v) => `${v} minutes before a class starts`],
  ["LATE_AFTER_MINUTES", "Late", (v) => `A check-in more than ${v} minutes after the start is marked late`],
  ["CHECKIN_NETWORKS", "Where students check in from", (v) => (v && v.length ? `Only from ${[].concat(v).join(", ")}` : "Anywhere")],
  ["TIMEZONE", "The school's clock", (v) => v],
  ["TOKEN_TTL", "A sign-in lasts", (v) => `${Math.round(v / 86400)} days`],
];

function shown(value) {
  if (value === null || value === undefined) return "unset";
  if (Array.isArray(value)) return value.length ? value.join(", ") : "(empty)";
  return String(value);
}

export function render(view) {
  const problem = alertBox();
  const daily = h("dl", { className: "settings" });
  const body = h("tbody");
  view.append(
    h("h1", {}, "Settings"),
    h("p", { className: "lead" }, "How this Rollcall server runs. Read-only: they are set in the server's environment (see the README's settings table)."),
    problem,
    h("section", { "aria-labelledby": "daily-heading" }, h("h2", { id: "daily-heading" }, "Day to day"), daily),
    h("details", {}, h("summary", {}, "Every setting"),
      h("div", { className: "table-wrap", tabindex: 0, role: "region", "aria-label": "Every setting" }, h("table", { className: "all-settings" },
        h("caption", {}, "Every setting, secrets masked"),
        h("thead", {}, h("tr", {}, ["Setting", "Value", "Default", "Meaning"].map((t) => h("th", { scope: "col" }, t)))),
        body))));

  api.call("admin_get_settings", {}).then((answer) => {
    const byName = new Map(answer.settings.map((s) => [s.name, s]));
    replace(daily, DAILY.filter(([name]) => byName.has(name)).map(([name, label, words]) => h("div", { className: "setting" },
      h("dt", {}, label), h("dd", {}, words(byName.get(name).value), h("span", { className: "hint" }, ` (${name})`)))));
    replace(body, answer.settings.map((s) => h("tr", {},
      h("th", { scope: "row" }, s.name), h("td", { className: "value" }, shown(s.value)), h("td", {}, s.default), h("td", {}, s.meaning))));
  }).catch((error) => showAlert(problem, error.message));
  return null;
}
