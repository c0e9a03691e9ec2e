// A student's attendance: each class's rate, its present, absent and excused counts and its
// latest records, and a chart of the term week by week. From the student endpoints only:
// present records (get_marked_attendance), missed ones (get_missed_attendance: absent, or not
// marked in a class that ended), the latest 100 of all (get_student_class_attd_stat, which
// tells the excused ones apart: neither present nor missed in a class already over), the
// totals (get_student_stats) and the classes running now (get_pending_attendance).
import * as api from "../api.js";
import * as auth from "../auth.js";
import { alertBox, h, replace, showAlert, svg } from "../dom.js";
import { dayLabel, link, today } from "../slot.js";

export const title = "My attendance";
export const roles = ["student"];
const LATEST = 5;
const METHOD_LABEL = { selfie: "selfie", photo: "class photo", manual: "by the teacher", kiosk: "door kiosk" };
const STATUS_LABEL = { present: "Present", absent: "Absent", excused: "Excused" };

// {class_name: {present: [records], absent: [records], excused: [{class_name, class_date}]}}
export function byClass(marked, missed, latest, day = today()) {
  const classes = new Map();
  const of = (name) => {
    if (!classes.has(name)) classes.set(name, { name, present: [], absent: [], excused: [], teacher: null });
    return classes.get(name);
  };
  for (const r of marked) { const c = of(r.class_name); c.present.push({ ...r, status: "present" }); c.teacher ||= r.teacher_name; }
  for (const r of missed) { const c = of(r.class_name); c.absent.push({ ...r, status: "absent" }); c.teacher ||= r.teacher_name; }
  // Excused: among the latest records, the ones of a past day that are neither present nor missed.
  const missedLeft = new Map();
  for (const r of missed) missedLeft.set(`${r.class_name}|${r.class_date}`, (missedLeft.get(`${r.class_name}|${r.class_date}`) || 0) + 1);
  for (const r of latest) {
    of(r.class_name); // a class with nothing over yet is listed too
    if (r.marked || r.class_date >= day) continue;
    const key = `${r.class_name}|${r.class_date}`;
    if (missedLeft.get(key)) { missedLeft.set(key, missedLeft.get(key) - 1); continue; }
    of(r.class_name).excused.push({ class_name: r.class_name, class_date: r.class_date, status: "excused" });
  }
  return [...classes.values()].sort((a, b) => a.name.localeCompare(b.name));
}

function rateOf(present, absent) {
  return present + absent ? Math.round((100 * present) / (present + absent)) : null;
}

function mondayOf(isoDate) {
  const [y, m, d] = isoDate.split("-").map(Number);
  const date = new Date(Date.UTC(y, m - 1, d));
  date.setUTCDate(date.getUTCDate() - ((date.getUTCDay() + 6) % 7));
  return date.toISOString().slice(0, 10);
}

// Week by week over the term: present, absent and excused classes, stacked.
function termChart(classes) {
  const weeks = new Map();
  for (const c of classes) {
    for (const status of ["present", "absent", "excused"]) {
      for (const r of c[status]) {
        const week = mondayOf(r.class_date);
        if (!weeks.has(week)) weeks.set(week, { present: 0, absent: 0, excused: 0 });
        weeks.get(week)[status] += 1;
      }
    }
  }
  const rows = [...weeks.entries()].sort(([a], [b]) => a.localeCompare(b));
  if (!rows.length) return null;
  const width = 360, height = 200, left = 28, bottom = 36, top = 10;
  const most = Math.max(...rows.map(([, w]) => w.present + w.absent + w.excused), 1);
  const step = (width - left - 10) / rows.length;
  const barWidth = Math.max(4, Math.min(40, step * 0.7));
  const y = (n) => top + (height - top - bottom) * (1 - n / most);
  const bars = rows.map(([week, w], i) => {
    const x = left + i * step + (step - barWidth) / 2;
    let base = 0;
    const parts = ["present", "absent", "excused"].map((status) => {
      const n = w[status];
      const rect = n ? svg("rect", { class: `${status}-bar`, x, y: y(base + n), width: barWidth, height: y(base) - y(base + n) }) : null;
      base += n;
      return rect;
    });
    const label = rows.length <= 12 || i % Math.ceil(rows.length / 12) === 0
      ? svg("text", { class: "axis", x: x + barWidth / 2, y: height - bottom + 16, "text-anchor": "middle" }, dayLabel(week).replace(/^\w+ /, "")) : null;
    return svg("g", {}, parts, label);
  });
  const grid = [0, most].map((n) => svg("g", {},
    svg("line", { class: "grid", x1: left, x2: width - 5, y1: y(n), y2: y(n) }),
    svg("text", { class: "axis", x: left - 6, y: y(n) + 4, "text-anchor": "end" }, String(n))));
  const totals = rows.reduce((sum, [, w]) => sum + w.present, 0);
  const chart = svg("svg", { class: "chart", viewBox: `0 0 ${width} ${height}`, role: "img",
    "aria-label": `Your classes week by week over ${rows.length} weeks: ${totals} present in all; the table below gives each week.` },
  grid, bars, svg("text", { class: "axis", x: left, y: height - 6 }, "week starting"));
  return h("figure", { className: "chart-figure" }, chart,
    h("ul", { className: "chart-legend", "aria-hidden": "true" },
      h("li", { className: "present" }, "present"), h("li", { className: "absent" }, "absent"), h("li", { className: "excused" }, "excused")),
    h("figcaption", {}, "Classes per week: present, absent and excused."),
    h("details", {}, h("summary", {}, "The chart as a table"),
      h("div", { className: "table-wrap", tabindex: 0, role: "region", "aria-label": "Classes per week" }, h("table", {},
        h("caption", {}, "Classes per week"),
        h("thead", {}, h("tr", {}, ["Week starting", "Present", "Absent", "Excused"].map((t) => h("th", { scope: "col" }, t)))),
        h("tbody", {}, rows.map(([week, w]) => h("tr", {}, h("th", { scope: "row" }, dayLabel(week)),
          h("td", {}, String(w.present)), h("td", {}, String(w.absent)), h("td", {}, String(w.excused)))))))));
}

function classCard(c) {
  const rate = rateOf(c.present.length, c.absent.length);
  const latest = [...c.present, ...c.absent, ...c.excused]
    .sort((a, b) => (b.class_date + (b.start_time || "")).localeCompare(a.class_date + (a.start_time || ""))).slice(0, LATEST);
  const entry = (label, value, kind) => h("li", { className: `count ${kind}` },
    h("span", { className: "number" }, String(value)), h("span", { className: "label" }, label));
  return h("li", { className: "class-card" },
    h("h3", {}, c.name),
    c.teacher ? h("p", { className: "hint" }, `with ${c.teacher}`) : null,
    h("p", { className: "rate" }, rate === null ? "No class over yet" : `${rate}% present`),
    h("ul", { className: "counts three", "aria-label": `Counts for ${c.name}` },
      entry("present", c.present.length, "present"), entry("absent", c.absent.length, "absent"),
      entry("excused", c.excused.length, "excused")),
    h("h4", {}, "Latest"),
    h("ul", { className: "records", "aria-label": `Latest records of ${c.name}` }, latest.length ? null
      : h("li", {}, "Nothing over yet."), latest.map((r) => h("li", {},
      h("span", {}, dayLabel(r.class_date), r.start_time ? ` ${r.start_time}` : ""),
      h("span", { className: `badge ${r.status}` }, STATUS_LABEL[r.status]),
      r.late ? h("span", { className: "badge needs_review" }, r.minutes_late ? `${r.minutes_late} min late` : "late") : null,
      r.method ? h("span", { className: "hint" }, METHOD_LABEL[r.method] || r.method) : null))));
}

export function render(view) {
  const who = auth.current();
  const problem = alertBox();
  const now = h("div");
  const overall = h("p", { className: "summary big", "aria-live": "polite" }, "Loading your attendance…");
  const classes = h("ul", { className: "classes", "aria-label": "My classes" });
  const chart = h("div");
  view.append(h("h1", {}, "My attendance"), h("p", { className: "lead" }, `Signed in as ${who.name || who.email}.`),
    problem, now, overall,
    h("section", { "aria-labelledby": "classes-heading" }, h("h2", { id: "classes-heading" }, "By class"), classes),
    h("section", { "aria-labelledby": "term-heading" }, h("h2", { id: "term-heading" }, "Over the term"), chart));

  Promise.all([
    api.call("get_student_stats"), api.call("get_marked_attendance"), api.call("get_missed_attendance"),
    api.call("get_student_class_attd_stat"), api.call("get_pending_attendance"),
  ]).then(([stats, marked, missed, latest, pending]) => {
    const rate = rateOf(stats.present, stats.absent);
    overall.textContent = rate === null ? "No class has ended yet."
      : `${rate}% present: ${stats.present} present, ${stats.absent} absent, ${stats.excused} excused.`;
    if (pending.length) {
      replace(now, h("p", { className: "alert info" },
        `${pending.map((r) => r.class_name).join(", ")} ${pending.length > 1 ? "are" : "is"} running now. `,
        h("a", { href: link("checkin", pending[0]) }, "Check in")));
    }
    const found = byClass(marked, missed, latest);
    replace(classes, found.length ? found.map(classCard) : h("li", { className: "empty" }, "You are on no class's list yet."));
    replace(chart, termChart(found) || h("p", { className: "hint" }, "The chart appears once a class is over."));
  }).catch((error) => { overall.textContent = ""; showAlert(problem, error.message); });
  return null;
}
