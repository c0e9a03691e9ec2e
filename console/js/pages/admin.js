// The administrator's accounts: teachers waiting for approval first (approve or refuse), then
// every account, searchable by name or email and filtered by role and status, with suspend,
// reactivate, erase (after saying what is kept and what is deleted) and, for a teacher, moving
// their sessions to another teacher.
import * as api from "../api.js";
import * as auth from "../auth.js";
import { ROLE_LABEL, STATUS_LABEL, when } from "../people.js";
import { md5Hex } from "../md5.js";
import { alertBox, field, h, replace, showAlert } from "../dom.js";

export const title = "Accounts";
export const roles = ["admin"];
const SHOWN = 50; // accounts on screen before "Show more"

// What erasing keeps and deletes, in the words of services/privacy.py.
const ELSEWHERE = "Wherever else the address or the name was written (roster changes, notes, the audit log's details), " +
  "the pseudonym replaces it; invitations sent to the address are deleted.";

function erasureWords(user, eraseAttendance) {
  return [...erasureFacts(user, eraseAttendance), ELSEWHERE];
}

function erasureFacts(user, eraseAttendance) {
  const deleted = "its face templates, its sign-in tokens, its name, email address and password";
  if (user.user_type === 1) {
    return [`Deleted: ${deleted}.`,
      "Kept: the teacher's class sessions and their attendance records, under \"former teacher\" " +
      "(an address ending in @erased.invalid), until you move them to another teacher."];
  }
  if (user.user_type === 0) {
    const records = eraseAttendance === true
      ? "Also deleted: the student's attendance records (this school's ERASE_ATTENDANCE setting is on)."
      : eraseAttendance === false
        ? "Kept, pseudonymised: the student's attendance records, so the class registers and counts do not change; " +
          "they show an address like erased-student-12@erased.invalid instead of the student, and teachers' notes " +
          "on them are deleted."
        : "Attendance records are kept pseudonymised, or deleted if the school's ERASE_ATTENDANCE setting is on.";
    return [`Deleted: ${deleted}.`, records];
  }
  return [`Deleted: ${deleted}.`, "Kept: the audit log's entries, under a pseudonym."];
}

function outcomeWords(answer) {
  const parts = [answer.SUCCESS, `${answer.templates} face templates deleted.`];
  if (answer.records) parts.push(`${answer.records} attendance records ${answer.attendance}.`);
  if (answer.sessions !== undefined) parts.push(`${answer.sessions} class sessions kept under "former teacher".`);
  if (answer.placeholder_email_id) parts.push(`The account is now ${answer.placeholder_email_id}.`);
  return parts.join(" ");
}

export function render(view) {
  const me = auth.current();
  const problem = alertBox();
  const notice = h("p", { className: "alert success", role: "status", tabindex: -1, hidden: true });
  const pendingList = h("ul", { className: "accounts", "aria-label": "Teachers waiting for approval" });
  const search = h("input", { type: "search", name: "q", autocomplete: "off", placeholder: "e.g. Barack or @school.test" });
  const roleFilter = h("select", { name: "user_type" }, h("option", { value: "" }, "Any role"),
    Object.entries(ROLE_LABEL).map(([value, label]) => h("option", { value }, label)));
  const statusFilter = h("select", { name: "status" }, h("option", { value: "" }, "Any status"),
    Object.entries(STATUS_LABEL).map(([value, label]) => h("option", { value }, label)));
  const count = h("p", { className: "hint", "aria-live": "polite" });
  const allList = h("ul", { className: "accounts", "aria-label": "Accounts" });
  const more = h("button", { type: "button", hidden: true }, "Show more accounts");
  const filters = h("form", { className: "card filters", role: "search", "aria-label": "Find accounts" },
    field("Name or email", search), h("div", { className: "row" }, field("Role", roleFilter), field("Status", statusFilter)));
  view.append(
    h("h1", {}, "Accounts"),
    h("p", { className: "lead" }, `Signed in as ${me.name || me.email}, administrator.`),
    problem, notice,
    h("section", { "aria-labelledby": "pending-heading" },
      h("h2", { id: "pending-heading" }, "Teachers waiting for approval"), pendingList),
    createForm(),
    h("section", { "aria-labelledby": "all-heading" },
      h("h2", { id: "all-heading" }, "Every account"), filters, count, allList, more));

  // A teacher the administrator creates is active at once (admin_create_teacher), without a
  // face: they sign in with this password and should change it.
  function createForm() {
    const name = h("input", { type: "text", name: "name", autocomplete: "off", maxlength: 200, required: true });
    const email = h("input", { type: "email", name: "email", autocomplete: "off", required: true });
    const password = h("input", { type: "password", name: "password", autocomplete: "new-password", required: true, minlength: 8 });
    const create = h("button", { type: "submit", className: "primary" }, "Create the teacher");
    const formProblem = alertBox();
    const form = h("form", { novalidate: true },
      field("Teacher's name", name), field("Teacher's email", email),
      field("First password", password, "Tell it to the teacher in person; at least 8 characters."),
      formProblem, create);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      showAlert(formProblem, "");
      if (!name.value.trim() || !email.value.trim() || password.value.length < 8) {
        showAlert(formProblem, "Give a name, an email address and a password of at least 8 characters.");
        return;
      }
      try {
        const answer = await api.call("admin_create_teacher", { user_email_id: email.value.trim(), name: name.value.trim(),
          passwd_hash: md5Hex(password.value) }, { button: create });
        form.reset();
        await loadAll();
        say(answer.SUCCESS);
        notice.focus();
      } catch (error) {
        showAlert(formProblem, error.message);
      }
    });
    return h("details", { className: "card" }, h("summary", {}, "Create a teacher account"), form);
  }

  let accounts = [];
  let activeTeachers = [];
  let shown = SHOWN;
  let eraseAttendance = null; // unknown until the settings answer, or if it fails
  let settingsRead = Promise.resolve();

  const say = (message) => { notice.hidden = !message; notice.textContent = message || ""; };

  const act = async (button, fields, done) => {
    showAlert(problem, "");
    say("");
    try {
      const answer = await api.call(fields.path, fields.body, { button });
      await loadAll(); // the list is current before the message says what changed
      say(done ? done(answer) : answer.SUCCESS);
      notice.focus({ preventScroll: false });
    } catch (error) {
      showAlert(problem, error.message);
    }
  };
  const target = (user) => ({ user_email_id: user.email_id, user_type: user.user_type });
  const setStatus = (button, user, action) => act(button, { path: "admin_set_user_status", body: { ...target(user), action } });

  function eraseBox(user, opener) {
    const confirm = h("button", { type: "button", className: "danger" }, `Erase ${user.email_id} for good`);
    const cancel = h("button", { type: "button" }, "Keep the account");
    const box = h("div", { className: "confirm", role: "group", "aria-label": `Erase ${user.email_id}?` },
      h("p", { className: "summary" }, `Erase ${user.name} (${user.email_id})? This cannot be undone.`),
      erasureWords(user, eraseAttendance).map((line) => h("p", {}, line)),
      h("div", { className: "actions" }, confirm, cancel));
    cancel.addEventListener("click", () => { box.remove(); opener.hidden = false; opener.focus(); });
    confirm.addEventListener("click", () => act(confirm, { path: "admin_erase_user", body: target(user) }, outcomeWords));
    return box;
  }

  function transferBox(user, opener) {
    const choices = activeTeachers.filter((t) => t.email_id !== user.email_id);
    const to = h("select", { name: "to_email_id" }, choices.map((t) => h("option", { value: t.email_id }, `${t.name} (${t.email_id})`)));
    const send = h("button", { type: "submit", className: "primary" }, "Move the sessions");
    const cancel = h("button", { type: "button" }, "Cancel");
    const box = h("form", { className: "confirm" },
      choices.length ? field(`Move every session of ${user.email_id} to`, to)
        : h("p", {}, "There is no other active teacher to receive the sessions."),
      h("div", { className: "actions" }, choices.length ? send : null, cancel));
    cancel.addEventListener("click", () => { box.remove(); opener.hidden = false; opener.focus(); });
    box.addEventListener("submit", (event) => {
      event.preventDefault();
      act(send, { path: "admin_transfer_sessions", body: { from_email_id: user.email_id, to_email_id: to.value } });
    });
    return box;
  }

  function card(user) {
    const self = user.email_id === me.email && user.user_type === 2;
    const actions = h("div", { className: "actions" });
    const item = h("li", { className: `account-card ${user.status}` },
      h("div", { className: "session-head" },
        h("h3", {}, user.name),
        h("span", { className: `badge ${user.status}` }, STATUS_LABEL[user.status] || user.status)),
      h("p", { className: "account-email" }, user.email_id),
      h("p", { className: "hint" }, `${ROLE_LABEL[user.user_type]} · signed up ${when(user.create_datetime)} · ` +
        `last seen ${when(user.last_seen)}` + (user.faces_enrolled !== undefined ? ` · ${user.faces_enrolled} faces` : "")),
      actions);
    if (self) {
      actions.append(h("p", { className: "hint" }, "Your own account."));
      return item;
    }
    const button = (text, onClick, className = "") => {
      const b = h("button", { type: "button", className, "aria-label": `${text}: ${user.email_id}` }, text);
      b.addEventListener("click", () => onClick(b));
      actions.append(b);
      return b;
    };
    if (user.status === "pending_approval") {
      button("Approve", (b) => setStatus(b, user, "approve"), "primary");
      button("Refuse", (b) => setStatus(b, user, "suspend"));
    }
    if (user.status === "active") button("Suspend", (b) => setStatus(b, user, "suspend"));
    if (user.status === "suspended") button("Reactivate", (b) => setStatus(b, user, "reactivate"));
    if (user.user_type === 1 && user.status !== "pending_approval") {
      button("Move sessions", (b) => { b.hidden = true; item.append(transferBox(user, b)); item.querySelector("select")?.focus(); });
    }
    if (user.status !== "erased") {
      button("Erase", async (b) => {
        await settingsRead; // what erasure keeps depends on a setting: say it exactly
        b.hidden = true;
        const box = eraseBox(user, b);
        item.append(box);
        box.querySelector("button").focus();
      }, "danger-outline");
    }
    return item;
  }

  function draw() {
    const words = search.value.trim().toLowerCase();
    const found = accounts.filter((u) => (!words || `${u.name} ${u.email_id}`.toLowerCase().includes(words))
      && (!roleFilter.value || String(u.user_type) === roleFilter.value)
      && (!statusFilter.value || u.status === statusFilter.value));
    const pending = accounts.filter((u) => u.status === "pending_approval" && u.user_type === 1);
    replace(pendingList, pending.length ? pending.map(card) : h("li", { className: "empty" }, "No teacher is waiting."));
    replace(allList, found.length ? found.slice(0, shown).map(card) : h("li", { className: "empty" }, "No account matches."));
    count.textContent = `${found.length} of ${accounts.length} accounts` +
      (found.length > shown ? `; the first ${shown} are shown.` : ".");
    more.hidden = found.length <= shown;
  }

  // Every account in one call (a school's accounts fit in a page); the search and the filters
  // apply here, so the teachers waiting stay listed above whatever is chosen below.
  async function loadAll() {
    try {
      accounts = await api.call("admin_list_users", {});
      accounts.sort((a, b) => a.name.localeCompare(b.name) || a.email_id.localeCompare(b.email_id));
      activeTeachers = accounts.filter((u) => u.user_type === 1 && u.status === "active");
      draw();
    } catch (error) {
      showAlert(problem, error.message);
    }
  }

  search.addEventListener("input", () => { shown = SHOWN; draw(); });
  roleFilter.addEventListener("change", () => { shown = SHOWN; draw(); });
  statusFilter.addEventListener("change", () => { shown = SHOWN; draw(); });
  filters.addEventListener("submit", (event) => event.preventDefault());
  more.addEventListener("click", () => { shown += SHOWN; draw(); });
  settingsRead = api.call("admin_get_settings", {}, { quiet: true }).then((answer) => {
    const setting = answer.settings.find((s) => s.name === "ERASE_ATTENDANCE");
    if (setting) eraseAttendance = Boolean(setting.value);
  }).catch(() => {});
  loadAll();
  return null;
}
