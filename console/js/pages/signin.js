import * as api from "../api.js";
import * as auth from "../auth.js";
import { md5Hex } from "../md5.js";
import { alertBox, field, h, showAlert } from "../dom.js";

export const title = "Sign in";

export function render(view) {
  const email = h("input", { type: "email", name: "email", autocomplete: "username", required: true, inputmode: "email" });
  const password = h("input", { type: "password", name: "password", autocomplete: "current-password", required: true });
  const submit = h("button", { type: "submit", className: "primary" }, "Sign in");
  const problem = alertBox();
  const notice = sessionStorage.getItem("rollcall.signin-message");
  sessionStorage.removeItem("rollcall.signin-message");

  const form = h("form", { className: "card narrow", novalidate: true },
    h("h1", {}, "Sign in to Rollcall"),
    h("p", { className: "lead" }, "Take attendance from a photo of the room, project the presence code, or leave a tablet at the door."),
    notice ? h("p", { className: "alert info" }, notice) : null,
    field("Email", email),
    field("Password", password),
    problem,
    submit,
    h("p", { className: "hint" }, "Teacher accounts only. Students check in from their own app."));

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    showAlert(problem, "");
    if (!email.value.trim() || !password.value) {
      showAlert(problem, "Enter your email and your password.");
      (email.value.trim() ? password : email).focus();
      return;
    }
    try {
      const answer = await api.call("login_teacher",
        { email_id: email.value.trim(), passwd_hash: md5Hex(password.value) },
        { button: submit, anonymous: true });
      auth.remember(answer.email_id, answer.name, answer.token);
      location.hash = "#/today";
    } catch (error) {
      showAlert(problem, error.message);
      password.select();
    }
  });
  view.append(form);
  email.focus();
}
