// An administrator's webhooks: the registered endpoints with their delivery counts
// (admin_list_webhooks), a new one with the events it wants (admin_create_webhook; its secret is
// shown once), one's deliveries (admin_list_webhook_deliveries), and removing one
// (admin_delete_webhook) after a confirmation.
import * as api from "../api.js";
import { when } from "../people.js";
import { alertBox, field, h, replace, showAlert } from "../dom.js";

export const title = "Webhooks";
export const roles = ["admin"];
const EVENTS = {
  "attendance.marked": "a student is marked present", "attendance.changed": "a teacher changes a record",
  "session.closed": "a class session closes", "student.low_attendance": "a student falls under the threshold",
  "leave.requested": "a student asks for leave", "leave.decided": "a teacher answers a leave request",
};

export function render(view) {
  const problem = alertBox();
  const notice = h("div", { className: "alert success", role: "status", tabindex: -1, hidden: true });
  const list = h("ul", { className: "accounts", "aria-label": "Webhooks" });
  const url = h("input", { type: "url", name: "url", autocomplete: "off" });
  const boxes = Object.entries(EVENTS).map(([value, words]) => h("label", { className: "check" },
    h("input", { type: "checkbox", name: "events", value }), `${value}: ${words}`));
  const add = h("button", { type: "submit", className: "primary" }, "Add the webhook");
  const formProblem = alertBox();
  const form = h("form", { className: "card", novalidate: true }, h("h2", {}, "Add a webhook"),
    field("Address Rollcall posts each event to", url, "The full web address (http or https) the other system gave you."),
    h("fieldset", {}, h("legend", {}, "Events"), h("div", { className: "stack" }, boxes)),
    formProblem, add);
  view.append(h("h1", {}, "Webhooks"),
    h("p", { className: "lead" }, "Tell another system (the school's information system, a chat) about attendance as it happens. Each delivery is signed with the webhook's secret."),
    problem, notice, list, form);

  const say = (...content) => { replace(notice, ...content); notice.hidden = false; notice.focus(); };

  function deliveriesOf(hook, item, opener) {
    const box = h("div", { className: "confirm calm" }, h("p", {}, "Loading the deliveries…"));
    item.append(box);
    opener.disabled = true;
    api.call("admin_list_webhook_deliveries", { webhook_id: hook.id, limit: 20 }).then((deliveries) => {
      replace(box, h("h4", {}, "Latest deliveries"), deliveries.length
        ? h("ul", { className: "records", "aria-label": `Deliveries to ${hook.url}` }, deliveries.map((d) => h("li", {},
          h("span", {}, when(d.create_datetime)), h("span", {}, d.event_type),
          h("span", { className: `badge ${d.status === "delivered" ? "present" : d.status === "failed" ? "absent" : "needs_review"}` }, d.status),
          h("span", { className: "hint" }, `${d.attempts} attempts${d.last_status_code ? `, last answer ${d.last_status_code}` : ""}` +
            `${d.last_error ? `: ${d.last_error}` : ""}`))))
        : h("p", {}, "Nothing sent yet."));
    }).catch((error) => replace(box, h("p", { className: "alert error" }, error.message)));
  }

  function removeBox(hook, item, opener) {
    opener.hidden = true;
    const yes = h("button", { type: "button", className: "danger" }, `Remove ${hook.url}`);
    const no = h("button", { type: "button" }, "Keep it");
    const box = h("div", { className: "confirm", role: "group", "aria-label": `Remove the webhook ${hook.url}?` },
      h("p", {}, "Remove this webhook? Its deliveries are deleted with it, and nothing more is sent."),
      h("div", { className: "actions" }, yes, no));
    item.append(box);
    yes.focus();
    no.addEventListener("click", () => { box.remove(); opener.hidden = false; opener.focus(); });
    yes.addEventListener("click", async () => {
      try {
        const answer = await api.call("admin_delete_webhook", { webhook_id: hook.id }, { button: yes });
        await load();
        say(answer.SUCCESS);
      } catch (error) {
        showAlert(problem, error.message);
      }
    });
  }

  function card(hook) {
    const item = h("li", { className: "account-card" },
      h("h3", { className: "account-email" }, hook.url),
      h("p", { className: "hint" }, `Since ${when(hook.create_datetime)} · ${hook.events.join(", ")}`),
      h("p", {}, `Delivered ${hook.deliveries.delivered}, waiting ${hook.deliveries.pending}, failed ${hook.deliveries.failed}.`));
    const show = h("button", { type: "button", "aria-label": `Deliveries: ${hook.url}` }, "Deliveries");
    const remove = h("button", { type: "button", className: "danger-outline", "aria-label": `Remove: ${hook.url}` }, "Remove");
    show.addEventListener("click", () => deliveriesOf(hook, item, show));
    remove.addEventListener("click", () => removeBox(hook, item, remove));
    item.append(h("div", { className: "actions" }, show, remove));
    return item;
  }

  async function load() {
    try {
      const hooks = await api.call("admin_list_webhooks");
      replace(list, hooks.length ? hooks.map(card) : h("li", { className: "empty" }, "No webhook yet."));
    } catch (error) {
      showAlert(problem, error.message);
    }
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    showAlert(formProblem, "");
    const events = boxes.map((b) => b.querySelector("input")).filter((b) => b.checked).map((b) => b.value);
    if (!url.value.trim() || !events.length) { showAlert(formProblem, "Give the address and choose at least one event."); return; }
    try {
      const answer = await api.call("admin_create_webhook", { url: url.value.trim(), events: events.join(",") }, { button: add });
      form.reset();
      await load();
      say(h("p", {}, answer.SUCCESS), h("p", {}, "Secret: ", h("code", { className: "secret" }, answer.secret)));
    } catch (error) {
      showAlert(formProblem, error.message);
    }
  });
  load();
  return null;
}
