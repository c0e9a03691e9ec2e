// On the teacher's Today, under VERIFY_INVITED_EMAILS: the students who registered with an
// address this teacher's rosters invited and have not proven it yet (get_students_awaiting_proof
// lists a teacher's invitations, not one session's, hence Today rather than a roster page), each
// confirmed by hand (confirm_student_email) after a short confirmation, since the account then
// joins every session of this teacher's that invited it. Today fetches this module only when
// somebody waits.
import * as api from "./api.js";
import * as auth from "./auth.js";
import { when } from "./people.js";
import { alertBox, h, replace, showAlert } from "./dom.js";

// Refusals that mean the list on screen is out of date (proven meanwhile, or the account gone).
const STALE = ["already_verified", "no_such_student"];

// The endpoint names its caller email_id, whatever the role.
function mine(fields = {}) {
  return { ...fields, email_id: auth.current()?.email, teacher_email_id: undefined };
}

function listAwaiting(options = {}) {
  return api.call("get_students_awaiting_proof", mine(), options);
}

function sessionsWords(n) {
  return n === 1 ? "invited to 1 of your sessions" : `invited to ${n} of your sessions`;
}

// Draws into ``place`` (hidden while nobody waits); onConfirmed() after each confirmation.
export function mount(place, waiting, { onConfirmed = () => {} } = {}) {
  const problem = alertBox();
  const notice = h("p", { className: "alert success", role: "status", tabindex: -1, hidden: true });
  const list = h("ul", { className: "requests", "aria-label": "Students waiting for proof of their address" });
  const nobodyElse = h("p", { className: "hint", hidden: true }, "Nobody else is waiting.");
  replace(place,
    h("h2", { id: "proof-heading" }, "Waiting for proof of their address"),
    h("p", { className: "hint" }, "They registered with an address your rosters invited, and join those rosters "
      + "once the address is proven: by the code mailed to it, or by you."),
    problem, notice, list, nobodyElse);
  place.setAttribute("aria-labelledby", "proof-heading");

  let students = waiting;
  // The student whose confirmation is open: {email, message (a refusal), busy}.
  let confirming = null;

  function confirmBox(s) {
    const name = s.name || s.student_email_id;
    const email = s.student_email_id;
    const yes = h("button", { type: "button", className: "primary", "aria-label": `Yes, confirm ${email}`,
      disabled: confirming.busy }, "Yes, confirm");
    const no = h("button", { type: "button", disabled: confirming.busy }, "Not now");
    no.addEventListener("click", () => {
      confirming = null;
      draw();
      list.querySelector(`button[data-email="${CSS.escape(email)}"]`)?.focus();
    });
    yes.addEventListener("click", () => confirm(s, yes, no));
    return h("div", { className: "confirm calm", role: "group", "aria-label": `Confirm ${email}?` },
      h("p", {}, `Confirm that ${email} is ${name}'s own address? Do so only if you know this student: the account `
        + `joins the sessions of yours that invited it and have not ended yet, and checks in with the face it registered.`),
      confirming.message ? h("p", { className: "alert error", role: "alert" }, confirming.message) : null,
      h("div", { className: "actions" }, yes, no));
  }

  function card(s) {
    const email = s.student_email_id;
    const open = confirming && confirming.email === email;
    const opener = h("button", { type: "button", "aria-label": `Confirm ${email}`, "data-email": email, hidden: open },
      "Confirm");
    opener.addEventListener("click", () => {
      notice.hidden = true; // the last confirmation's message would read as this one's
      showAlert(problem, "");
      confirming = { email, message: null, busy: false };
      draw();
      list.querySelector(".confirm button.primary")?.focus();
    });
    return h("li", { className: "request-card pending" },
      h("div", { className: "session-head" }, h("h3", {}, s.name || email),
        h("span", { className: "badge needs_review" }, "Waiting")),
      h("p", { className: "request-email" }, email),
      h("p", { className: "hint" }, `Registered ${when(s.create_datetime)} · ${sessionsWords(s.invited_sessions)}`),
      h("div", { className: "actions" }, opener),
      open ? confirmBox(s) : null);
  }

  function draw() {
    replace(list, students.map(card));
    list.hidden = !students.length;
    nobodyElse.hidden = students.length > 0;
    // Nobody waits: nothing to show, unless the page just said whom the teacher confirmed, or why not.
    place.hidden = !students.length && notice.hidden && problem.hidden;
  }

  async function refresh() {
    if (confirming) return; // a confirmation being read or sent is not redrawn under the teacher's finger
    try {
      students = await listAwaiting({ quiet: true });
    } catch {
      return; // a shortcut on Today: the next look tries again
    }
    if (!confirming) draw();
  }

  async function confirm(s, yes, no) {
    const email = s.student_email_id;
    confirming.busy = true;
    no.disabled = true;
    try {
      const answer = await api.call("confirm_student_email", mine({ invited_email_id: email }), { button: yes });
      confirming = null;
      students = students.filter((other) => other.student_email_id !== email);
      notice.textContent = `${answer.SUCCESS} ${s.name || email} (${email}) is on your rosters now.`;
      notice.hidden = false;
      draw();
      notice.focus();
      onConfirmed();
      refresh();
    } catch (error) {
      if (STALE.includes(error.code)) {
        // proven or gone meanwhile: off the list with the server's sentence, then the list read again
        confirming = null;
        students = students.filter((other) => other.student_email_id !== email);
        showAlert(problem, error.message);
        draw();
        problem.scrollIntoView({ block: "nearest" });
        refresh();
        return;
      }
      confirming = { email, message: error.message, busy: false };
      draw();
      list.querySelector(".confirm button.primary")?.focus();
    }
  }

  draw();
  return { refresh };
}
