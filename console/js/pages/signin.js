import * as api from "../api.js";
import * as auth from "../auth.js";
import { md5Hex } from "../md5.js";
import { alertBox, field, h, showAlert } from "../dom.js";

export const title = "Sign in";

const ROLE_KEY = auth.LAST_ROLE_KEY;
// Each role signs in at its own endpoint (an email may hold accounts of two roles).
const ROLES = {
  teacher: { label: "Teacher", login: "login_teacher" },
  student: { label: "Student", login: "login_student" },
  admin: { label: "Administrator", login: "login_admin" },
};

export function render(view) {
  const email = h("input", { type: "email", name: "email", autocomplete: "username", required: true, inputmode: "email" });
  const password = h("input", { type: "password", name: "password", autocomplete: "current-password", required: true });
  const submit = h("button", { type: "submit", className: "primary" }, "Sign in");
  // One email may hold a student's and a teacher's account, so the person says which to open;
  // the choice is remembered on this device.
  const lastRole = localStorage.getItem(ROLE_KEY) || "teacher";
  const roleChoice = h("fieldset", { className: "roles" },
    h("legend", {}, "I am signing in as"),
    h("div", { className: "checks" }, Object.entries(ROLES).map(([role, { label }]) => h("label", { className: "check" },
      h("input", { type: "radio", name: "role", value: role, checked: role === lastRole }), label))));
  const problem = alertBox();
  const notice = sessionStorage.getItem("rollcall.signin-message");
  sessionStorage.removeItem("rollcall.signin-message");

  // The sign-up form opens on the role already chosen here.
  const signUp = h("a", { href: "#/signup" }, "Create an account");
  signUp.addEventListener("click", () => sessionStorage.setItem(auth.SIGNUP_ROLE_KEY, roleChoice.querySelector(":checked")?.value || ""));
  const form = h("form", { className: "card narrow", novalidate: true },
    h("h1", {}, "Sign in to Rollcall"),
    h("p", { className: "lead" }, "Teachers take attendance here; students check in and see their attendance; the school's administrators look after accounts."),
    notice ? h("p", { className: "alert info" }, notice) : null,
    roleChoice,
    field("Email", email),
    field("Password", password),
    problem,
    submit,
    h("p", {}, "New to Rollcall? ", signUp));

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    showAlert(problem, "");
    if (!email.value.trim() || !password.value) {
      showAlert(problem, "Enter your email and your password.");
      (email.value.trim() ? password : email).focus();
      return;
    }
    const role = form.elements.role.value || "teacher";
    try {
      const answer = await api.call(ROLES[role].login,
        { email_id: email.value.trim(), passwd_hash: md5Hex(password.value) },
        { button: submit, anonymous: true });
      const signedInAs = auth.ROLE_OF_TYPE[answer.user_type] || role;
      localStorage.setItem(ROLE_KEY, signedInAs);
      auth.remember(answer, signedInAs);
      location.hash = `#/${auth.HOME[signedInAs]}`;
    } catch (error) {
      showAlert(problem, error.message);
      password.select();
    }
  });
  view.append(form);
  email.focus();
}
