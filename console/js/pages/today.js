// Today: the teacher's sessions today and the rest of this week, each with its counts.
import * as api from "../api.js";
import * as auth from "../auth.js";
import * as slots from "../slot.js";
import { alertBox, h, replace, showAlert } from "../dom.js";

export const title = "Today";
const REFRESH_MS = 15000;

// Sessions from the teacher's records: {slot, present, absent, excused, pending, total}.
export function sessionsOf(records) {
  const found = new Map();
  for (const record of records) {
    const key = slots.key(record);
    if (!found.has(key)) {
      found.set(key, { slot: slots.fromRecord(record), present: 0, absent: 0, excused: 0, pending: 0, not_enrolled: 0, total: 0 });
    }
    const counts = found.get(key);
    counts.total += 1;
    counts[record.status] = (counts[record.status] || 0) + 1;
  }
  return [...found.values()];
}

// The Sunday that ends the week of a "YYYY-MM-DD" day.
function sundayOf(isoDay) {
  const [y, m, d] = isoDay.split("-").map(Number);
  const weekday = (new Date(y, m - 1, d).getDay() + 6) % 7; // Monday 0
  return slots.dateISO(new Date(y, m - 1, d + 6 - weekday));
}

const PHASE_LABEL = { running: "Now", later: "Later", over: "Ended" };

function countsList(item) {
  const reviews = slots.pendingReviews(item.slot).length;
  const entry = (label, value, kind) => h("li", { className: `count ${kind}` },
    h("span", { className: "number" }, String(value)), h("span", { className: "label" }, label));
  return h("ul", { className: "counts", "aria-label": "Counts" },
    entry("present", item.present, "present"),
    entry("absent", item.absent + item.excused, "absent"),
    entry("not yet marked", item.pending, "pending"),
    entry("to review", reviews, reviews ? "review" : "none"));
}

function sessionCard(item) {
  const phase = slots.phase(item.slot);
  const name = `${item.slot.class_name}, ${item.slot.start_time}`;
  return h("li", { className: `session-card ${phase}` },
    h("div", { className: "session-head" },
      h("h3", {}, h("a", { href: slots.link("session", item.slot) }, item.slot.class_name)),
      h("span", { className: `badge ${phase}` }, PHASE_LABEL[phase])),
    h("p", { className: "when" }, `${slots.dayLabel(item.slot.class_date)}, ${item.slot.start_time}–${item.slot.end_time}`,
      h("span", { className: "hint" }, " (school time)")),
    countsList(item),
    h("div", { className: "actions" },
      h("a", { className: "button primary", href: slots.link("photo", item.slot), "aria-label": `Class photo: ${name}` }, "Class photo"),
      h("a", { className: "button", href: slots.link("session", item.slot), "aria-label": `Roster: ${name}` }, "Roster"),
      h("a", { className: "button", href: slots.link("presence", item.slot), "aria-label": `Presence code: ${name}` }, "Presence code"),
      h("a", { className: "button", href: slots.link("kiosk", item.slot), "aria-label": `Door kiosk: ${name}` }, "Door kiosk")));
}

export function render(view) {
  const who = auth.current();
  const problem = alertBox();
  const todayList = h("ul", { className: "sessions", "aria-label": "Today's sessions" });
  const weekList = h("ul", { className: "sessions", "aria-label": "Later this week" });
  const updated = h("p", { className: "hint", "aria-live": "polite" });
  const requests = h("p", { className: "alert info", hidden: true });
  const proofPlace = h("section", { hidden: true });
  view.append(
    h("h1", {}, `Today, ${slots.dayLabel(slots.today())}`),
    h("p", { className: "lead" }, `Signed in as ${who.name || who.email}.`),
    problem, requests, proofPlace,
    h("section", { "aria-labelledby": "today-heading" }, h("h2", { id: "today-heading" }, "Today's classes"), todayList),
    h("section", { "aria-labelledby": "week-heading" }, h("h2", { id: "week-heading" }, "Later this week"), weekList),
    updated);

  let stopped = false;
  let timer = null;
  // The API has no count of waiting requests: the waiting ones are listed when the page opens
  // or the tab is shown again (not at every refresh of the counts), and only their number shown.
  const countRequests = async () => {
    try {
      const waiting = await api.call("get_leave_requests", { status: "pending" }, { quiet: true });
      if (stopped) return;
      const n = waiting.length;
      replace(requests, n ? h("a", { href: "#/requests" }, `${n} leave ${n === 1 ? "request" : "requests"} to answer`) : null);
      requests.hidden = n === 0;
    } catch {
      // The line is a shortcut; the Requests page says what went wrong.
    }
  };
  const load = async (quiet) => {
    try {
      const records = await api.call("get_classes_by_teacher", {}, { quiet });
      if (stopped) return;
      showAlert(problem, "");
      const day = slots.today();
      const sunday = sundayOf(day);
      const all = sessionsOf(records).sort((a, b) => slots.key(a.slot).localeCompare(slots.key(b.slot)));
      const byTime = (a, b) => (a.slot.class_date + a.slot.start_time).localeCompare(b.slot.class_date + b.slot.start_time);
      const todays = all.filter((s) => s.slot.class_date === day).sort(byTime);
      const later = all.filter((s) => s.slot.class_date > day && s.slot.class_date <= sunday).sort(byTime);
      replace(todayList, todays.length ? todays.map(sessionCard)
        : h("li", { className: "empty" }, "No class today. ", h("a", { href: "#/term" }, "Plan the term's classes"), "."));
      replace(weekList, later.length ? later.map(sessionCard) : h("li", { className: "empty" }, "Nothing else this week."));
      updated.textContent = `Updated at ${new Date().toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit" })}.`;
    } catch (error) {
      if (!stopped) showAlert(problem, error instanceof api.ConnectionLost ? "Connection lost; the counts will update when it is back." : error.message);
    }
    // A hidden tab asks nothing; it catches up when shown again.
    if (!stopped && !document.hidden) timer = setTimeout(() => load(true), REFRESH_MS);
  };
  // Students waiting for proof of their address (VERIFY_INVITED_EMAILS): listed when the page opens
  // or the tab is shown again, like the requests; the section's module is fetched only when
  // somebody waits, so a school without verification never loads it.
  let proof = null;
  const listAwaiting = async () => {
    if (proof) { proof.refresh(); return; }
    try {
      const waiting = await api.call("get_students_awaiting_proof",
        { email_id: who.email, teacher_email_id: undefined }, { quiet: true });
      if (stopped || !waiting.length) return;
      const section = await import("../proof.js");
      if (stopped || proof) return;
      proof = section.mount(proofPlace, waiting, { onConfirmed: () => { if (!stopped) { clearTimeout(timer); load(true); } } });
    } catch {
      // A shortcut on Today, like the requests line: the next look tries again.
    }
  };
  // Back from the camera or another app: fresh counts at once.
  const onVisible = () => { if (!document.hidden) { clearTimeout(timer); load(true); countRequests(); listAwaiting(); } };
  document.addEventListener("visibilitychange", onVisible);
  load(false);
  countRequests();
  listAwaiting();
  return () => { stopped = true; clearTimeout(timer); document.removeEventListener("visibilitychange", onVisible); };
}
