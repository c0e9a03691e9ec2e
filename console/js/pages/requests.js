// Students' leave requests for the teacher's sessions (get_leave_requests): those waiting,
// longest waiting first, each approved (the record becomes excused) or refused with a note in
// one tap (decide_leave_request); below, the latest answers.
import * as api from "../api.js";
import * as slots from "../slot.js";
import { when } from "../people.js";
import { alertBox, field, h, replace, showAlert } from "../dom.js";

export const title = "Leave requests";
export const roles = ["teacher"];
const SHOWN = 20; // answers on screen before "Show more"
const ANSWER_WORDS = { approved: "Approved: excused", refused: "Refused" };
const ANSWER_BADGE = { approved: "excused", refused: "absent" };
// Refusals that mean the list on screen is out of date (answered in another tab, or gone).
const STALE = ["already_decided", "no_such_request"];

function who(r) {
  return r.student_name || r.student_email_id;
}

function sessionLine(r) {
  return h("p", { className: "when" },
    h("a", { href: slots.link("session", r) }, r.class_name), `, ${slots.dayLabel(r.class_date)}, ${r.start_time}–${r.end_time}`,
    h("span", { className: "hint" }, " (school time)"));
}

function heading(r, badge) {
  return [
    h("div", { className: "session-head" }, h("h3", {}, who(r)), badge),
    h("p", { className: "request-email" }, r.student_email_id),
    sessionLine(r),
    h("p", { className: "reason" }, h("span", { className: "visually-hidden" }, "Reason: "), `“${r.reason}”`),
  ];
}

function answeredCard(r) {
  return h("li", { className: `request-card ${r.status}` },
    heading(r, h("span", { className: `badge ${ANSWER_BADGE[r.status] || ""}` }, ANSWER_WORDS[r.status] || r.status)),
    r.teacher_note ? h("p", {}, `Your note: “${r.teacher_note}”`) : null,
    h("p", { className: "hint" }, `Asked ${when(r.requested_at)} · answered ${when(r.decided_at)}`));
}

// Newest answer first: the API lists by the time of asking, the page wants the time of answering.
function byAnswer(a, b) {
  return (b.decided_at || "").localeCompare(a.decided_at || "") || b.id - a.id;
}

export function render(view) {
  const problem = alertBox();
  const notice = h("p", { className: "alert success", role: "status", tabindex: -1, hidden: true });
  const waitingList = h("ul", { className: "requests", "aria-label": "Requests waiting for an answer" });
  const answeredList = h("ul", { className: "requests", "aria-label": "Answered requests" });
  const count = h("p", { className: "hint" });
  const more = h("button", { type: "button", hidden: true }, "Show more answers");
  view.append(
    h("h1", {}, "Leave requests"),
    h("p", { className: "lead" }, "Students ask to be excused from your classes. Approving excuses the student; " +
      "refusing needs a note, which the student reads."),
    problem, notice,
    h("section", { "aria-labelledby": "waiting-heading" },
      h("h2", { id: "waiting-heading" }, "Waiting for your answer"), waitingList),
    h("section", { "aria-labelledby": "answered-heading" },
      h("h2", { id: "answered-heading" }, "Answered"), count, answeredList, more));

  let answered = [];
  let shown = SHOWN;
  const say = (message) => { notice.hidden = !message; notice.textContent = message || ""; };

  function waitingCard(r) {
    const name = `${who(r)}, ${r.class_name} on ${slots.dayLabel(r.class_date)}`;
    const note = h("textarea", { name: "note", rows: 2, maxlength: 1000 });
    const cardProblem = alertBox();
    const approve = h("button", { type: "button", className: "primary", "aria-label": `Approve: ${name}` }, "Approve");
    const refuse = h("button", { type: "button", "aria-label": `Refuse: ${name}` }, "Refuse");
    const decide = async (button, decision) => {
      showAlert(cardProblem, "");
      showAlert(problem, "");
      say("");
      // One decision at a time per request: the other button waits too.
      const other = button === approve ? refuse : approve;
      other.disabled = true;
      try {
        const answer = await api.call("decide_leave_request", { leave_request_id: r.id, decision,
          note: note.value.trim() || undefined }, { button });
        await load(); // the lists are current before the message says what changed
        say(decision === "approve"
          ? `${answer.SUCCESS} ${who(r)} is excused from ${r.class_name} on ${slots.dayLabel(r.class_date)}.`
          : `${answer.SUCCESS} ${who(r)} will read your note.`);
        notice.focus();
      } catch (error) {
        other.disabled = false;
        if (STALE.includes(error.code)) {
          await load();
          showAlert(problem, error.message);
          return;
        }
        showAlert(cardProblem, error.message);
        if (error.code === "missing_field" || error.code === "bad_field") note.focus();
      }
    };
    approve.addEventListener("click", () => decide(approve, "approve"));
    refuse.addEventListener("click", () => decide(refuse, "refuse"));
    return h("li", { className: "request-card pending" },
      heading(r, h("span", { className: "badge needs_review" }, "Waiting")),
      h("p", { className: "hint" }, `Asked ${when(r.requested_at)}`),
      field(`Note to ${who(r)}`, note, "Needed to refuse; optional to approve. The student reads it."),
      cardProblem,
      h("div", { className: "actions" }, approve, refuse));
  }

  function drawAnswered() {
    replace(answeredList, answered.length ? answered.slice(0, shown).map(answeredCard)
      : h("li", { className: "empty" }, "No answer yet."));
    count.textContent = answered.length > shown ? `The latest ${shown} of ${answered.length} answers.` : "";
    more.hidden = answered.length <= shown;
  }

  // Every request in one call (a term's requests fit in a page): the waiting ones keep the
  // API's order, the answered ones are sorted here by when they were answered.
  async function load() {
    try {
      const requests = await api.call("get_leave_requests", { status: "all" });
      const waiting = requests.filter((r) => r.status === "pending");
      answered = requests.filter((r) => r.status !== "pending").sort(byAnswer);
      replace(waitingList, waiting.length ? waiting.map(waitingCard)
        : h("li", { className: "empty" }, "No request is waiting."));
      drawAnswered();
    } catch (error) {
      showAlert(problem, error.message);
    }
  }

  more.addEventListener("click", () => { shown += SHOWN; drawAnswered(); });
  load();
  return null;
}
