// A class session is named by four fields (class_name, class_date, start_time, end_time), as
// every endpoint takes it; pages carry them in the address after the #.
// Dates and times are the school's wall clock, shown as the server gives them.
import * as auth from "./auth.js";
import { h } from "./dom.js";

const FIELDS = ["class_name", "class_date", "start_time", "end_time"];

export function fromParams(params) {
  const slot = {};
  for (const name of FIELDS) {
    const value = params.get(name);
    if (!value) return null;
    slot[name] = value;
  }
  return slot;
}

// A session's page opened by a link that names no session: says so, with the way back.
export function sayNoSession(view, title) {
  view.append(h("h1", {}, title), h("p", { className: "alert error" }, "This link names no class session."),
    h("a", { href: "#/today" }, "Back to today"));
  return null;
}

export function fromRecord(record) {
  return Object.fromEntries(FIELDS.map((name) => [name, record[name]]));
}

export function key(slot) {
  return FIELDS.map((name) => slot[name]).join("|");
}

export function link(page, slot) {
  return `#/${page}?${new URLSearchParams(fromRecord(slot)).toString()}`;
}

export function dateISO(date) {
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

// The school's day ("YYYY-MM-DD") and minute of the day at ``now``: on the school's time zone,
// which the sign-in answered, whatever this device's clock is set to (a laptop left on UTC);
// on the device's own for a sign-in from before the server sent it.
function schoolClock(now = new Date()) {
  const zone = auth.current()?.timezone;
  if (zone) {
    try {
      const parts = Object.fromEntries(new Intl.DateTimeFormat("en-GB", {
        timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23",
      }).formatToParts(now).map((part) => [part.type, part.value]));
      return { day: `${parts.year}-${parts.month}-${parts.day}`, minute: Number(parts.hour) * 60 + Number(parts.minute) };
    } catch {
      // a zone this browser does not know: the device's clock below
    }
  }
  return { day: dateISO(now), minute: now.getHours() * 60 + now.getMinutes() };
}

export function today() {
  return schoolClock().day;
}

// "Mon 2 Mar"
export function dayLabel(isoDate) {
  const [y, m, d] = isoDate.split("-").map(Number);
  return new Date(y, m - 1, d).toLocaleDateString("en-GB", { weekday: "short", day: "numeric", month: "short" });
}

export function describe(slot) {
  return `${slot.class_name} · ${dayLabel(slot.class_date)} · ${slot.start_time}–${slot.end_time}`;
}

// The school-clock time of an ISO instant the server sent ("2026-03-02T09:03:11+01:00" -> "09:03").
export function clockTime(iso) {
  return iso ? iso.slice(11, 16) : "";
}

// Minutes since midnight of "HH:MM".
function minutes(hhmm) {
  const [hours, mins] = hhmm.split(":").map(Number);
  return hours * 60 + mins;
}

// "running", "later" or "over", on the school's clock.
export function phase(slot, now = new Date()) {
  const { day, minute: current } = schoolClock(now);
  if (slot.class_date < day) return "over";
  if (slot.class_date > day) return "later";
  if (current < minutes(slot.start_time)) return "later";
  if (current >= minutes(slot.end_time)) return "over";
  return "running";
}

// Review faces a class photo left unsettled, kept in this browser until settled, so Today
// can count them ("to review"); the server keeps no such list.
export function pendingReviews(slot) {
  try {
    return JSON.parse(sessionStorage.getItem(`rollcall.review.${key(slot)}`) || "[]");
  } catch {
    return [];
  }
}

export function savePendingReviews(slot, faces) {
  const name = `rollcall.review.${key(slot)}`;
  if (faces.length) sessionStorage.setItem(name, JSON.stringify(faces));
  else sessionStorage.removeItem(name);
}
