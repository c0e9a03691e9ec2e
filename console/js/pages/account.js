// A student's account: the profile (get_profile), the guardian who also gets the weekly
// low-attendance notice (set_guardian_email) and, only while get_profile says the address awaits
// proof (email_proof_pending, under the school's VERIFY_INVITED_EMAILS), the mailed code that
// proves it (request_email_code, submit_email_code). Only then is export_my_data read, for the
// classes that invited the address (no other student endpoint names them): it counts as an
// export in the audit log.
import * as api from "../api.js";
import { ROLE_LABEL, STATUS_LABEL, when } from "../people.js";
import { alertBox, field, h, replace, showAlert } from "../dom.js";
import { describe, phase } from "../slot.js";

export const title = "My account";
export const roles = ["student"];
const MAX_EMAIL = 254; // the server's longest address (declarations.MAX_EMAIL)

function profileList(profile) {
  const item = (label, ...value) => h("div", {}, h("dt", {}, label), h("dd", {}, ...value));
  const teachers = profile.teachers || [];
  return h("dl", { className: "profile" },
    item("Name", profile.name),
    item("Email", profile.email_id),
    item("Account", `${ROLE_LABEL[profile.user_type] || "Student"}, ${(STATUS_LABEL[profile.status] || profile.status || "").toLowerCase()}`),
    item("Since", when(profile.create_datetime)),
    item("Teachers who keep your records", teachers.length
      ? h("ul", { className: "plain" }, teachers.map((t) => h("li", {}, `${t.name} (${t.email_id})`)))
      : "None yet: no class has you on its list."));
}

// The guardian's address: shown (from the profile), saved, changed or removed.
function guardianSection(profileRead) {
  const problem = alertBox();
  const notice = h("p", { className: "alert success", role: "status", tabindex: -1, hidden: true });
  const kept = h("p", { className: "summary", "aria-live": "polite" }, "Reading the address kept now…");
  const input = h("input", { type: "email", name: "guardian_email", autocomplete: "off", inputmode: "email",
    maxlength: MAX_EMAIL, spellcheck: "false" });
  const save = h("button", { type: "submit", className: "primary" }, "Save the guardian's email");
  const remove = h("button", { type: "button", className: "danger-outline", hidden: true }, "Remove the guardian's email");
  const form = h("form", { novalidate: true },
    field("Guardian's email", input, "A parent's or guardian's address. Saving replaces the one kept now."),
    problem, h("div", { className: "actions" }, save, remove));
  let busy = false; // one request at a time, whichever button started it

  const show = (address) => {
    kept.textContent = address ? `Kept now: ${address}` : "No guardian's address is kept.";
    remove.hidden = !address;
    save.textContent = address ? "Change the guardian's email" : "Save the guardian's email";
  };
  const send = async (address, button) => {
    if (busy) return;
    busy = true;
    showAlert(problem, "");
    notice.hidden = true;
    try {
      const answer = await api.call("set_guardian_email", { guardian_email: address }, { button });
      show(answer.guardian_email);
      input.value = "";
      notice.textContent = answer.SUCCESS;
      notice.hidden = false;
      notice.focus();
    } catch (error) {
      showAlert(problem, error.message);
      if (address) input.select();
    } finally {
      busy = false;
    }
  };

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const address = input.value.trim();
    if (!address) {
      showAlert(problem, "Type your guardian's email address.");
      input.focus();
      return;
    }
    send(address, save);
  });
  remove.addEventListener("click", () => send("", remove)); // blank: the server keeps none

  profileRead.then((profile) => show(profile.guardian_email)).catch(() => {
    kept.textContent = "The address kept now could not be read."; // the page's alert says why
  });

  return h("section", { className: "card", "aria-labelledby": "guardian-heading" },
    h("h2", { id: "guardian-heading" }, "Your guardian"),
    h("p", {}, "When your attendance in a class falls under the school's minimum, Rollcall mails you a notice " +
      "once a week listing those classes, with each one's teacher and your rate. The guardian named here gets " +
      "the same notice, and nothing else. (A roster file from your teacher may name your guardian too; the " +
      "latest address given is the one kept.)"),
    kept, notice, form);
}

// The mailed code that proves the student's address, so the rosters that invited it take them in.
function proofSection(profile, exported, onProven) {
  const problem = alertBox();
  const notice = h("p", { className: "alert success", role: "status", tabindex: -1, hidden: true });
  const invited = h("div", { "aria-live": "polite" });
  const mailCode = h("button", { type: "button" }, "Mail me a code");
  const code = h("input", { type: "text", name: "code", inputmode: "numeric", autocomplete: "one-time-code",
    maxlength: 20, spellcheck: "false" });
  const prove = h("button", { type: "submit", className: "primary" }, "Prove my address");
  const form = h("form", { novalidate: true, "aria-label": "Enter the code" },
    field("The code from the mail", code, "6 digits, valid 30 minutes; a new code replaces the last one."),
    prove);
  let invitations = null;

  exported.then((data) => {
    invitations = data.invitations || [];
    replace(invited, invitations.length
      ? [h("h3", {}, "Classes that invited this address"),
        h("ul", { className: "records", "aria-label": "Classes that invited this address" }, invitations.map((i) => h("li", {},
          h("span", {}, describe(i)),
          phase(i) === "over" ? h("span", { className: "hint" }, "already held: you will not be added to it") : null)))]
      : h("p", { className: "hint" }, "No class has invited this address yet; once you prove it, a roster that names it takes you in at once."));
  }).catch((error) => { replace(invited); showAlert(problem, error.message); });

  mailCode.addEventListener("click", async () => {
    showAlert(problem, "");
    notice.hidden = true;
    try {
      const answer = await api.call("request_email_code", {}, { button: mailCode });
      notice.textContent = answer.SUCCESS;
      notice.hidden = false;
      code.focus();
    } catch (error) {
      showAlert(problem, error.message);
    }
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    showAlert(problem, "");
    notice.hidden = true;
    const typed = code.value.trim();
    if (!typed) {
      showAlert(problem, "Type the code from the mail.");
      code.focus();
      return;
    }
    try {
      const answer = await api.call("submit_email_code", { code: typed }, { button: prove });
      onProven(answer, invitations);
    } catch (error) {
      showAlert(problem, error.message);
      code.select();
    }
  });

  return h("section", { className: "card proof", "aria-labelledby": "proof-heading" },
    h("h2", { id: "proof-heading" }, "Prove your email address"),
    h("p", {}, `Your school adds you to the classes that invited ${profile.email_id} only once you prove the ` +
      "address is yours, with a 6-digit code Rollcall mails to it. Until then you are on none of their lists " +
      "and cannot check in there."),
    invited,
    h("p", { className: "hint" }, "If a class had invited you when you created your account, a code was mailed " +
      "to you then. No mail, or too late? Ask for a new one (at most one a minute). Your teacher or an " +
      "administrator can also confirm your address instead."),
    h("div", { className: "actions" }, mailCode), notice, form, problem);
}

export function render(view) {
  const problem = alertBox();
  const profileBox = h("div", {}, h("p", { className: "hint" }, "Loading your profile…"));
  const proofBox = h("div");

  // The answer counts the sessions joined; the records read afterwards name them.
  const proven = async (answer, invitations) => {
    let joined = [];
    try {
      const latest = await api.call("get_student_class_attd_stat");
      const have = new Set(latest.map((r) => `${r.class_name}|${r.class_date}`));
      // a session already held is never joined, even when an older record shares its name and day
      joined = (invitations || []).filter((i) => phase(i) !== "over" && have.has(`${i.class_name}|${i.class_date}`));
    } catch {
      // the server's sentence still says how many
    }
    const done = h("p", { className: "alert success", role: "status", tabindex: -1 }, answer.SUCCESS);
    replace(proofBox, h("section", { className: "card", "aria-labelledby": "proof-heading" },
      h("h2", { id: "proof-heading" }, "Your address is proven"), done,
      joined.length ? [h("p", {}, "You are now on the list of:"),
        h("ul", { className: "records", "aria-label": "Classes joined" }, joined.map((i) => h("li", {}, describe(i))))] : null,
      h("p", {}, h("a", { href: "#/mine" }, "See my attendance"))));
    done.focus();
    loadProfile().catch(() => {}); // the new classes' teachers now keep records of the student; the old profile stays otherwise
  };

  const loadProfile = () => api.call("get_profile", { user_type: 0 }).then((profile) => {
    replace(profileBox, profileList(profile));
    return profile;
  });
  const profileRead = loadProfile();

  // The proof, when one is awaited, comes first: until then the student is on none of the lists.
  view.append(h("h1", {}, "My account"), problem, proofBox,
    h("section", { className: "card", "aria-labelledby": "profile-heading" },
      h("h2", { id: "profile-heading" }, "Profile"), profileBox,
      h("p", { className: "hint" }, "Your enrolled faces are on ", h("a", { href: "#/faces" }, "My faces"), ".")),
    guardianSection(profileRead));

  profileRead.then((profile) => {
    if (profile.email_proof_pending) replace(proofBox, proofSection(profile, api.call("export_my_data"), proven));
  }).catch((error) => { replace(profileBox); showAlert(problem, error.message); });
  return null;
}
