// The mail outbox for an administrator (admin_list_mail): each mail's recipient, what it is,
// its state (waiting, sent, failed) with its attempts and last error, on the school's clock;
// filtered by state on the server, a page at a time, newest first. Never a mail's text: the API
// does not give it (and a code is never stored in clear). Above, whether mail goes out at all,
// read from admin_get_settings (SMTP_URL as the server masks it).
import * as api from "../api.js";
import { when } from "../people.js";
import { alertBox, field, h, replace, showAlert } from "../dom.js";

export const title = "Mail";
export const roles = ["admin"];
const PAGE = 25;
const KIND_LABEL = { low_attendance: "Low-attendance notice", claim_code: "Code proving an address" };
const STATE_LABEL = { pending: "Waiting", sent: "Sent", failed: "Failed" };
const STATE_BADGE = { pending: "needs_review", sent: "present", failed: "absent" };
const NONE_LABEL = { "": "No mail yet.", pending: "No mail is waiting.", sent: "No mail was sent yet.",
  failed: "No mail failed." };

function times(n) {
  return n === 1 ? "once" : `${n} times`;
}

// What happened to one mail, in words; the instants are the school's, as the server sent them.
function outcome(m) {
  if (m.status === "sent") return [when(m.sent_at), m.attempts > 1 ? ` (tried ${times(m.attempts)})` : ""];
  if (m.status === "failed") {
    return [`Given up after trying ${times(m.attempts)}`, m.last_attempt_at ? `, the last ${when(m.last_attempt_at)}` : ""];
  }
  if (!m.attempts) return ["Not tried yet"];
  return [`Tried ${times(m.attempts)}, the last ${when(m.last_attempt_at)}`,
    m.next_attempt_at ? `; next try ${when(m.next_attempt_at)}` : ""];
}

function row(m) {
  return h("tr", {},
    h("td", { "data-label": "Queued" }, h("time", { datetime: m.create_datetime }, when(m.create_datetime))),
    h("td", { "data-label": "To", className: "recipient" }, m.recipient),
    h("td", { "data-label": "Mail" }, h("span", { className: "kind" }, KIND_LABEL[m.kind] || m.kind), h("br"),
      h("span", { className: "hint" }, m.subject)),
    h("td", { "data-label": "State" },
      h("span", { className: `badge ${STATE_BADGE[m.status] || ""}` }, STATE_LABEL[m.status] || m.status), " ",
      h("span", {}, ...outcome(m)),
      m.last_error && m.status !== "sent"
        ? h("p", { className: "mail-error" }, "Last error: ", h("code", {}, m.last_error)) : null));
}

// "Mail goes out through ..." from admin_get_settings; SMTP_URL arrives with its password masked.
function serverWords(settings) {
  const value = (name) => settings.find((s) => s.name === name)?.value;
  const url = value("SMTP_URL");
  if (!url) {
    return [h("strong", {}, "No mail is sent: "), "SMTP_URL is unset, so Rollcall queues none.",
      value("VERIFY_INVITED_EMAILS") ? " A student whose invited address awaits proof gets no code: their teacher "
        + "or an administrator confirms them." : ""];
  }
  const every = Number(value("MAIL_SEND_EVERY"));
  return [h("strong", {}, "Mail goes out "), "through ", h("code", {}, url),
    " (SMTP_URL, its password hidden), from ", h("code", {}, value("MAIL_FROM") || "?"), ". ",
    every > 0 ? `Each web process sends what is due every ${every} s.`
      : ["No web process sends it (MAIL_SEND_EVERY is 0): ", h("code", {}, "flask --app app mail send"),
        " must run from cron or a timer."]];
}

export function render(view) {
  const server = h("p", { className: "alert info mail-server", "aria-live": "polite" }, "Reading the mail settings…");
  const state = h("select", { name: "status" }, h("option", { value: "" }, "Every mail"),
    Object.entries(STATE_LABEL).map(([value, label]) => h("option", { value }, label)));
  const show = h("button", { type: "submit", className: "primary" }, "Show mail");
  const problem = alertBox();
  const status = h("p", { className: "hint", "aria-live": "polite" });
  const body = h("tbody", {}, h("tr", {}, h("td", { colspan: 4 }, "Loading the mail…")));
  const previous = h("button", { type: "button", disabled: true }, "Newer mail");
  const next = h("button", { type: "button", disabled: true }, "Older mail");
  const form = h("form", { className: "card filters mail-filters", "aria-label": "Filter the mail" },
    field("State", state, "Waiting: not sent yet, perhaps tried and tried again later. Failed: given up after a day."),
    problem, h("div", { className: "actions" }, show));
  view.append(
    h("h1", {}, "Mail"),
    h("p", { className: "lead" }, "What Rollcall mails: the weekly low-attendance notices and the codes that prove "
      + "an invited student's address. Newest first, times on the school's clock. A mail's text is not shown."),
    server, form, status,
    h("div", { className: "table-wrap", tabindex: 0, role: "region", "aria-label": "Mail" }, h("table", { className: "mail" },
      h("caption", {}, "Mail"),
      h("thead", {}, h("tr", {}, ["Queued", "To", "Mail", "State"].map((t) => h("th", { scope: "col" }, t)))),
      body)),
    h("div", { className: "actions" }, previous, next));

  let stopped = false;
  let shown = { status: "", page: 0 };
  let asking = 0; // the latest open(): an earlier answer arriving after it is dropped

  // One page per call, one more mail asked for than shown, to know whether older ones exist.
  async function open(listing, button) {
    const ticket = ++asking;
    showAlert(problem, "");
    try {
      const mail = await api.call("admin_list_mail", { status: listing.status || undefined, limit: PAGE + 1,
        offset: listing.page * PAGE }, { button });
      if (stopped || ticket !== asking) return;
      shown = listing;
      const page = mail.slice(0, PAGE);
      replace(body, page.length ? page.map(row) : h("tr", {}, h("td", { colspan: 4 }, NONE_LABEL[listing.status])));
      const first = listing.page * PAGE;
      status.textContent = page.length ? `Mail ${first + 1}–${first + page.length}, newest first.` : "";
      previous.disabled = listing.page === 0;
      next.disabled = mail.length <= PAGE;
    } catch (error) {
      if (!stopped && ticket === asking) showAlert(problem, error.message);
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    open({ status: state.value, page: 0 }, show);
  });
  previous.addEventListener("click", () => open({ ...shown, page: shown.page - 1 }, previous));
  next.addEventListener("click", () => open({ ...shown, page: shown.page + 1 }, next));

  api.call("admin_get_settings", {}).then((answer) => {
    if (!stopped) replace(server, ...serverWords(answer.settings));
  }).catch((error) => {
    if (!stopped) { server.className = "alert error mail-server"; server.textContent = error.message; }
  });
  open(shown, show);
  return () => { stopped = true; };
}
