// What the pages share about people: account words, a roster student's name and address, the
// school-clock date of an instant the server sent, and saving a file the page built itself.
import { dayLabel } from "./slot.js";
import { h } from "./dom.js";

export const ROLE_LABEL = { 0: "Student", 1: "Teacher", 2: "Administrator" };
export const STATUS_LABEL = {
  active: "Active", pending_approval: "Waiting for approval", suspended: "Suspended", erased: "Erased",
};

// "Mon 2 Mar 2026, 09:03" from "2026-03-02T09:03:11+01:00", on the school's clock as sent.
export function when(iso) {
  if (!iso) return "never";
  return `${dayLabel(iso.slice(0, 10))} ${iso.slice(0, 4)}, ${iso.slice(11, 16)}`;
}

// A roster record's student as a teacher reads them: "Joe (joe@school.test)", or the address
// alone for an invited one with no account (and no name) yet.
export function studentLabel(record) {
  return record.student_name ? `${record.student_name} (${record.student_email_id})` : record.student_email_id;
}

// A roster row's header: the name, the address under it.
export function studentCell(record) {
  return h("th", { scope: "row" }, record.student_name ? h("span", { className: "student-name" }, record.student_name) : null,
    h("span", { className: "student-email" }, record.student_email_id));
}

// Records by name, as a roster is read; invited addresses (no name yet) after them.
export function byName(records) {
  const key = (r) => [r.student_name === null || r.student_name === undefined ? 1 : 0, r.student_name || "", r.student_email_id];
  return [...records].sort((a, b) => {
    const [ka, kb] = [key(a), key(b)];
    return ka[0] - kb[0] || ka[1].localeCompare(kb[1]) || ka[2].localeCompare(kb[2]);
  });
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
