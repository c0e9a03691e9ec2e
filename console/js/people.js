// What the administrator's and the student's pages (and the teacher's roster page) share:
// account words, the school-clock date of an instant the server sent, and saving a file the
// page built itself.
import { dayLabel } from "./slot.js";

export const ROLE_LABEL = { 0: "Student", 1: "Teacher", 2: "Administrator" };
export const STATUS_LABEL = {
  active: "Active", pending_approval: "Waiting for approval", suspended: "Suspended", erased: "Erased",
};

// "Mon 2 Mar 2026, 09:03" from "2026-03-02T09:03:11+01:00", on the school's clock as sent.
export function when(iso) {
  if (!iso) return "never";
  return `${dayLabel(iso.slice(0, 10))} ${iso.slice(0, 4)}, ${iso.slice(11, 16)}`;
}

// Offers text the page made (CSV, JSON) as a download under ``name``.
export function saveFile(name, text, type) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

// One CSV field: quoted when it holds a separator, a quote or a line break; a leading = + - @
// is prefixed with ' so a spreadsheet shows it as text instead of running it as a formula.
export function csvField(value) {
  if (value === null || value === undefined) return "";
  let text = typeof value === "object" ? JSON.stringify(value) : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csv(header, rows) {
  return [header, ...rows].map((row) => row.map(csvField).join(",")).join("\r\n") + "\r\n";
}
