// A student's own data: download everything Rollcall keeps about them (export_my_data, saved
// as a JSON file), and delete the account (delete_my_account, with the password), saying
// beforehand and afterwards what becomes of the attendance records.
import * as api from "../api.js";
import * as auth from "../auth.js";
import { md5Hex } from "../md5.js";
import { saveFile, when } from "../people.js";
import { alertBox, field, h, replace, showAlert } from "../dom.js";
import { today } from "../slot.js";

export const title = "My data";
export const roles = ["student"];
const SHOWN = 20; // entries of "what was done with my data" per page
const WHAT = {
  recognition: "Your face was recognised", "recognition.candidate": "Your face may have been seen (a class photo)",
  export: "You downloaded your data", "erase.faces": "Your faces were deleted", "purge.faces": "Your faces were deleted after a long absence",
  "admin.approve": "An administrator approved your account", "admin.suspend": "An administrator suspended your account",
  "admin.reactivate": "An administrator reactivated your account", "admin.read_audit": "An administrator read the audit log about you",
};
const STATUS_WORDS = { present: "present", absent: "absent", excused: "excused" };

// get_my_audit: what was done with the student's data, and every change of their records.
function ownAudit() {
  const list = h("ul", { className: "records", "aria-label": "What was done with my data" });
  const more = h("button", { type: "button" }, "Show more");
  const problem = alertBox();
  let offset = 0;
  const load = async () => {
    try {
      const answer = await api.call("get_my_audit", { limit: SHOWN, offset }, { button: more });
      offset += SHOWN;
      const items = [
        ...answer.audit.map((e) => ({ at: e.at, text: `${WHAT[e.kind] || e.kind}${e.class_name ? ` in ${e.class_name}` : ""}`,
          by: e.actor_email_id })),
        ...answer.changes.map((c) => ({ at: c.at, text: `${c.class_name} on ${c.class_date}: ${STATUS_WORDS[c.from_status] || "not marked"} → ` +
          `${STATUS_WORDS[c.to_status] || "not marked"}${c.note ? ` (“${c.note}”)` : ""}`, by: c.by })),
      ].sort((a, b) => b.at.localeCompare(a.at));
      if (!items.length && offset === SHOWN) list.append(h("li", {}, "Nothing yet."));
      list.append(...items.map((i) => h("li", {}, h("span", {}, when(i.at)), h("span", {}, i.text),
        i.by ? h("span", { className: "hint" }, `by ${i.by}`) : null)));
      more.hidden = answer.audit.length < SHOWN && answer.changes.length < SHOWN;
    } catch (error) {
      showAlert(problem, error.message);
    }
  };
  more.addEventListener("click", load);
  load();
  return h("section", { className: "card", "aria-labelledby": "audit-heading" },
    h("h2", { id: "audit-heading" }, "What was done with my data"),
    h("p", { className: "hint" }, "Recognitions of your face, downloads, erasures, administrators' actions and every change of your attendance, newest first."),
    problem, list, more);
}

export function render(view) {
  const problem = alertBox();
  const downloaded = h("p", { className: "hint", role: "status" });
  const download = h("button", { type: "button", className: "primary" }, "Download my data");
  const password = h("input", { type: "password", autocomplete: "current-password", required: true });
  const understood = h("input", { type: "checkbox", required: true });
  const erase = h("button", { type: "submit", className: "danger" }, "Delete my account");
  const eraseProblem = alertBox();
  const eraseForm = h("form", { className: "card", novalidate: true },
    h("h2", {}, "Delete my account"),
    h("p", {}, "Deleted for good: your name, email address, password, enrolled faces and sign-ins."),
    h("p", {}, "Your attendance records stay in your classes' registers, so your teachers' counts do not change, " +
      "but under a pseudonym (an address like erased-student-12@erased.invalid) that no longer leads to you; " +
      "teachers' notes on them are deleted. If your school has chosen so, the records are deleted instead."),
    field("Your password, to confirm", password),
    h("label", { className: "check" }, understood, "I understand this cannot be undone"),
    eraseProblem, erase);
  view.append(
    h("h1", {}, "My data"),
    h("section", { className: "card", "aria-labelledby": "export-heading" },
      h("h2", { id: "export-heading" }, "Download my data"),
      h("p", {}, "Everything Rollcall keeps about you, in one file: your profile, your attendance records and their " +
        "history, your teachers, and when your faces were enrolled (the face templates themselves are never handed out)."),
      problem, download, downloaded),
    ownAudit(),
    eraseForm);

  download.addEventListener("click", async () => {
    showAlert(problem, "");
    try {
      const data = await api.call("export_my_data", {}, { button: download });
      const name = `rollcall-my-data-${today()}.json`;
      saveFile(name, JSON.stringify(data, null, 2), "application/json");
      downloaded.textContent = `Downloaded ${name}: ${data.records.length} attendance records, ${data.faces.count} faces enrolled.`;
    } catch (error) {
      showAlert(problem, error.message);
    }
  });

  eraseForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    showAlert(eraseProblem, "");
    if (!password.value) { showAlert(eraseProblem, "Type your password to confirm."); password.focus(); return; }
    if (!understood.checked) { showAlert(eraseProblem, "Tick the box to say you understand."); understood.focus(); return; }
    try {
      const answer = await api.call("delete_my_account", { passwd_hash: md5Hex(password.value) }, { button: erase });
      auth.forget();
      const records = answer.records
        ? `Your ${answer.records} attendance records were ${answer.attendance === "deleted" ? "deleted" : "kept under a pseudonym"}.`
        : "You had no attendance records.";
      replace(view, h("div", { className: "card narrow" },
        h("h1", { tabindex: -1 }, "Your account is deleted"),
        h("p", { role: "status" }, `${answer.SUCCESS} ${records} ${answer.templates} face templates were deleted.`),
        h("a", { href: "#/signin" }, "Back to the sign-in page")));
      document.body.classList.add("signed-out");
      view.querySelector("h1").focus();
    } catch (error) {
      showAlert(eraseProblem, error.message);
      password.select();
    }
  });
  return null;
}
