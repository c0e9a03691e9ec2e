// The term: plan a class's sessions with its roster file, download the attendance, and read
// the report (each student's rate, who is below the minimum, attendance per session).
import * as api from "../api.js";
import * as slots from "../slot.js";
import { alertBox, field, h, replace, showAlert, svg } from "../dom.js";

export const title = "The term";
const WEEKDAYS = [["mon", "Monday"], ["tue", "Tuesday"], ["wed", "Wednesday"], ["thu", "Thursday"],
  ["fri", "Friday"], ["sat", "Saturday"], ["sun", "Sunday"]];

// "The roster file was not imported: line 3: ...; line 7: ..." -> ["line 3: ...", "line 7: ..."]
export function rosterProblems(message) {
  const detail = message.replace(/^[^:]*not imported:\s*/, "").replace(/\.$/, "");
  return detail.split(/;\s+(?=line \d+:|and \d+ more|it )/);
}

function scheduleForm(onCreated) {
  const name = h("input", { type: "text", name: "class_name", required: true, maxlength: 200, placeholder: "e.g. Math 101" });
  const days = WEEKDAYS.map(([value, label]) => h("label", { className: "check" },
    h("input", { type: "checkbox", name: "weekday", value }), label));
  const start = h("input", { type: "time", name: "start_time", required: true });
  const end = h("input", { type: "time", name: "end_time", required: true });
  const from = h("input", { type: "date", name: "from_date", required: true });
  const to = h("input", { type: "date", name: "to_date", required: true });
  const skip = h("input", { type: "text", name: "skip_dates", placeholder: "2026-04-06, 2026-04-07" });
  const roster = h("input", { type: "file", name: "roster_file", accept: ".csv,text/csv" });
  const code = h("input", { type: "checkbox", name: "require_code" });
  const submit = h("button", { type: "submit", className: "primary" }, "Create the sessions");
  const problem = alertBox();
  const problems = h("ul", { className: "problems", hidden: true, "aria-label": "Problems in the roster file" });
  const done = h("div", { role: "status" });
  const form = h("form", { className: "card", novalidate: true },
    h("h2", { id: "plan-heading" }, "Plan a class for the term"),
    field("Class name", name),
    h("fieldset", {}, h("legend", {}, "Weekdays"), h("div", { className: "checks" }, days)),
    h("div", { className: "row" }, field("Starts at (school time)", start), field("Ends at (school time)", end)),
    h("div", { className: "row" }, field("First day", from), field("Last day", to)),
    field("Days off (optional)", skip, "Dates as YYYY-MM-DD, separated by commas."),
    field("Roster file (CSV)", roster, "A column of student emails, with an optional name column. Every bad line is listed before anything is saved."),
    h("label", { className: "check" }, code, "Students must type the presence code to check in"),
    problem, problems, h("div", { className: "actions" }, submit), done);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    showAlert(problem, "");
    problems.hidden = true;
    replace(done);
    const weekdays = days.map((label) => label.querySelector("input")).filter((box) => box.checked).map((box) => box.value);
    const missing = [[name.value.trim(), name], [weekdays.length, days[0].querySelector("input")], [start.value, start],
      [end.value, end], [from.value, from], [to.value, to]].find(([value]) => !value);
    if (missing) {
      showAlert(problem, "Fill in the class name, at least one weekday, the times and the first and last days.");
      missing[1].focus();
      return;
    }
    try {
      const answer = await api.call("create_schedule", {
        class_name: name.value.trim(), weekdays: weekdays.join(","), start_time: start.value, end_time: end.value,
        from_date: from.value, to_date: to.value, skip_dates: skip.value.trim() || undefined,
        roster_file: roster.files[0] || undefined, require_code: code.checked ? 1 : undefined,
      }, { button: submit });
      replace(done, h("p", { className: "alert success" }, answer.SUCCESS));
      onCreated(name.value.trim());
    } catch (error) {
      if (error.code === "bad_roster_file") {
        showAlert(problem, "Nothing was saved: fix these lines of the roster file, then try again.");
        replace(problems, rosterProblems(error.message).map((line) => h("li", {}, line)));
        problems.hidden = false;
      } else {
        showAlert(problem, error.message);
      }
    }
  });
  return form;
}

// One session, e.g. a class today that the timetable does not have (get_create_class).
function oneClassForm(onCreated) {
  const name = h("input", { type: "text", name: "class_name", required: true, maxlength: 200, list: "class-names" });
  const date = h("input", { type: "date", name: "class_date", required: true, value: slots.today() });
  const start = h("input", { type: "time", name: "start_time", required: true });
  const end = h("input", { type: "time", name: "end_time", required: true });
  const emails = h("textarea", { name: "student_email_ids", rows: 3 });
  const submit = h("button", { type: "submit", className: "primary" }, "Create the class");
  const problem = alertBox();
  const done = h("div", { role: "status" });
  const form = h("form", { className: "card", novalidate: true },
    h("h2", {}, "Add one class"),
    field("Class name", name),
    field("Date", date),
    h("div", { className: "row" }, field("Starts at (school time)", start), field("Ends at (school time)", end)),
    field("Students' emails (optional)", emails,
      "Separated by commas. Left empty, the class has the same students as its last session."),
    problem, h("div", { className: "actions" }, submit), done);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    showAlert(problem, "");
    replace(done);
    const missing = [[name.value.trim(), name], [date.value, date], [start.value, start], [end.value, end]]
      .find(([value]) => !value);
    if (missing) {
      showAlert(problem, "Fill in the class name, the date and the times.");
      missing[1].focus();
      return;
    }
    try {
      const answer = await api.call("get_create_class", { class_name: name.value.trim(), class_date: date.value,
        start_time: start.value, end_time: end.value, student_email_ids: emails.value.trim() || undefined }, { button: submit });
      replace(done, h("p", { className: "alert success" }, answer.SUCCESS, " ",
        h("a", { href: slots.link("session", answer.session) }, "Open it")));
      onCreated();
    } catch (error) {
      showAlert(problem, error.message);
    }
  });
  return form;
}

function exportsForm(classList) {
  const name = h("input", { type: "text", name: "class_name", required: true, list: "class-names" });
  const from = h("input", { type: "date", name: "from_date" });
  const to = h("input", { type: "date", name: "to_date" });
  const csv = h("button", { type: "button", className: "primary" }, "Download CSV");
  const xlsx = h("button", { type: "button" }, "Download Excel (XLSX)");
  const problem = alertBox();
  const done = h("p", { role: "status" });
  const get = async (format, button) => {
    showAlert(problem, "");
    done.textContent = "";
    if (!name.value.trim()) {
      showAlert(problem, "Name the class to export.");
      name.focus();
      return;
    }
    try {
      const saved = await api.download("export_attendance", { class_name: name.value.trim(), format,
        from_date: from.value || undefined, to_date: to.value || undefined }, { button });
      done.textContent = `Downloaded ${saved}.`;
    } catch (error) {
      showAlert(problem, error.message);
    }
  };
  csv.addEventListener("click", () => get("csv", csv));
  xlsx.addEventListener("click", () => get("xlsx", xlsx));
  return h("form", { className: "card", novalidate: true },
    h("h2", {}, "Download the attendance"),
    field("Class name", name), classList,
    h("div", { className: "row" }, field("From (optional)", from), field("To (optional)", to)),
    problem, h("div", { className: "actions" }, csv, xlsx), done);
}

// Attendance per session: one bar per session, its height the share of the roster present.
function sessionChart(className, counts, drawnWidth) {
  const sessions = Object.entries(counts)
    .map(([key, value]) => ({ name: key.slice(0, key.lastIndexOf("|")), date: key.slice(key.lastIndexOf("|") + 1), ...value }))
    .filter((s) => s.name === className && s.present + s.absent + s.excused > 0)
    .sort((a, b) => a.date.localeCompare(b.date));
  if (!sessions.length) return h("p", { className: "hint" }, "No session of this class has been held yet.");
  // Drawn at the width it is shown at, so its text stays readable on a phone.
  const width = Math.round(Math.min(640, Math.max(300, drawnWidth || 640))), height = 220, left = 36, bottom = 30, top = 16;
  const slot = (width - left) / sessions.length;
  const bar = Math.max(2, Math.min(40, slot * 0.7));
  const chart = svg("svg", { viewBox: `0 0 ${width} ${height}`, class: "chart", role: "img",
    "aria-label": `Share of the roster present at each of ${sessions.length} sessions` });
  for (const share of [0, 50, 100]) {
    const y = top + (height - top - bottom) * (1 - share / 100);
    chart.append(svg("line", { x1: left, x2: width, y1: y, y2: y, class: "grid" }),
      svg("text", { x: left - 4, y: y + 4, class: "axis", "text-anchor": "end" }, `${share}%`));
  }
  sessions.forEach((s, i) => {
    const share = s.total ? s.present / s.total : 0;
    const barHeight = (height - top - bottom) * share;
    const x = left + i * slot + (slot - bar) / 2;
    const rect = svg("rect", { x, y: height - bottom - barHeight, width: bar, height: Math.max(barHeight, 1), class: "bar" });
    rect.append(svg("title", {}, `${s.date}: ${s.present} of ${s.total} present`));
    chart.append(rect);
    if (slot >= 34) {
      chart.append(svg("text", { x: x + bar / 2, y: height - bottom - barHeight - 4, class: "axis", "text-anchor": "middle" },
        `${s.present}/${s.total}`));
    }
    const labels = Math.max(2, Math.floor(width / 55));
    if (sessions.length <= labels || i % Math.ceil(sessions.length / labels) === 0) {
      chart.append(svg("text", { x: x + bar / 2, y: height - 10, class: "axis", "text-anchor": "middle" }, s.date.slice(5)));
    }
  });
  const table = h("details", {}, h("summary", {}, "The same as a table"),
    h("table", {}, h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Date"), h("th", { scope: "col" }, "Present"), h("th", { scope: "col" }, "On the roster"))),
      h("tbody", {}, sessions.map((s) => h("tr", {}, h("td", {}, s.date), h("td", {}, String(s.present)), h("td", {}, String(s.total)))))));
  return h("figure", { className: "chart-figure" }, chart, h("figcaption", {}, "Attendance per session (share of the roster present)"), table);
}

function reportForm(classList) {
  const name = h("input", { type: "text", name: "class_name", list: "class-names" });
  const show = h("button", { type: "submit", className: "primary" }, "Show the report");
  const problem = alertBox();
  const out = h("div", { "aria-live": "polite" });
  const form = h("form", { className: "card", novalidate: true },
    h("h2", {}, "Attendance report"),
    field("Class name", name, "Leave it empty to list only the students below the minimum, in every class."),
    classList, problem, h("div", { className: "actions" }, show), out);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    showAlert(problem, "");
    try {
      const className = name.value.trim();
      const report = await api.call("get_attendance_report", { class_name: className || undefined }, { button: show });
      const counts = className ? await api.call("get_present_absent_classes_by_teacher", {}) : null;
      const rows = report.students.map((s) => h("tr", { className: s.below_threshold ? "low" : "" },
        h("th", { scope: "row" }, s.name || s.student_email_id, h("br"), h("small", {}, s.student_email_id)),
        className ? null : h("td", {}, s.class_name),
        h("td", {}, `${s.present} / ${s.held}`),
        h("td", {}, s.rate === null ? "—" : `${s.rate}%`),
        h("td", {}, s.below_threshold ? h("span", { className: "badge absent" }, `Below ${report.threshold}%`) : "OK")));
      replace(out,
        h("p", {}, `Minimum attendance: ${report.threshold}%. ${report.students.filter((s) => s.below_threshold).length} student(s) below it.`),
        h("div", { className: "table-wrap" }, h("table", {},
          h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Student"), className ? null : h("th", { scope: "col" }, "Class"),
            h("th", { scope: "col" }, "Present / held"), h("th", { scope: "col" }, "Rate"), h("th", { scope: "col" }, "Flag"))),
          h("tbody", {}, rows.length ? rows : h("tr", {}, h("td", { colspan: 5 }, "No student to show."))))),
        className ? sessionChart(className, counts, out.clientWidth) : null);
    } catch (error) {
      showAlert(problem, error.message);
    }
  });
  return form;
}

export function render(view) {
  const names = h("datalist", { id: "class-names" });
  const refreshNames = async () => {
    try {
      const counts = await api.call("get_present_absent_classes_by_teacher", {}, { quiet: true });
      const unique = [...new Set(Object.keys(counts).map((key) => key.slice(0, key.lastIndexOf("|"))))].sort();
      replace(names, unique.map((value) => h("option", { value })));
    } catch {
      // Only suggestions: the fields still take any name.
    }
  };
  const sections = [["Attendance report", reportForm(null)], ["Download the attendance", exportsForm(null)],
    ["Plan a class for the term", scheduleForm(refreshNames)], ["Add one class", oneClassForm(refreshNames)]];
  const jump = h("nav", { className: "jump", "aria-label": "On this page" }, sections.map(([label, section]) => {
    const button = h("button", { type: "button", className: "small" }, label);
    button.addEventListener("click", () => {
      section.scrollIntoView({ block: "start" });
      section.querySelector("input, select, textarea")?.focus({ preventScroll: true });
    });
    return button;
  }));
  view.append(
    h("h1", {}, "The term"),
    h("p", { className: "lead" }, `Plan sessions, download attendance, see who is falling behind. Today is ${slots.dayLabel(slots.today())}.`),
    jump,
    names,
    ...sections.map(([, section]) => section));
  refreshNames();
  return null;
}
