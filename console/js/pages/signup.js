// Creating one's own account (register_student, register_teacher): a name, an email, a
// password and a photo of the face, from the camera or a file. A student is signed in at once;
// a teacher, under the school's usual policy, waits for an administrator's approval.
import * as api from "../api.js";
import * as auth from "../auth.js";
import { md5Hex } from "../md5.js";
import { alertBox, field, h, replace, showAlert } from "../dom.js";

export const title = "Create an account";
const MIN_PASSWORD = 8;
const ROLES = {
  student: { label: "Student", register: "register_student" },
  teacher: { label: "Teacher", register: "register_teacher" },
};

export function render(view) {
  const asked = sessionStorage.getItem(auth.SIGNUP_ROLE_KEY);
  sessionStorage.removeItem(auth.SIGNUP_ROLE_KEY);
  const chosenRole = ROLES[asked] ? asked : "student";
  const name = h("input", { type: "text", name: "name", autocomplete: "name", maxlength: 200, required: true });
  const email = h("input", { type: "email", name: "email", autocomplete: "email", inputmode: "email", required: true });
  const password = h("input", { type: "password", name: "password", autocomplete: "new-password", required: true });
  const video = h("video", { autoplay: true, muted: true, playsinline: true, "aria-label": "Your camera's picture", hidden: true });
  video.muted = true;
  const startCamera = h("button", { type: "button" }, "Use the camera");
  const photo = h("input", { type: "file", accept: "image/jpeg,image/png,image/webp", capture: "user" });
  const submit = h("button", { type: "submit", className: "primary" }, "Create my account");
  const problem = alertBox();
  const roleChoice = h("fieldset", { className: "roles" }, h("legend", {}, "I am a"),
    h("div", { className: "checks" }, Object.entries(ROLES).map(([role, { label }]) => h("label", { className: "check" },
      h("input", { type: "radio", name: "role", value: role, checked: role === chosenRole }), label))));
  const form = h("form", { className: "card narrow", novalidate: true },
    h("h1", {}, "Create an account"),
    h("p", { className: "lead" }, "Rollcall recognises you by your face: the photo is turned into a template and the photo itself is not kept."),
    roleChoice,
    field("Your name", name, "As your teachers and classmates know you."),
    field("Email", email, "Your school address."),
    field("Password", password, `At least ${MIN_PASSWORD} characters.`),
    h("fieldset", {}, h("legend", {}, "A photo of your face"),
      h("div", { className: "selfie" }, video), h("div", { className: "actions" }, startCamera),
      field("Or choose a photo", photo, "Your face alone, looking at the camera, in good light.")),
    problem, submit,
    h("p", {}, "Already have an account? ", h("a", { href: "#/signin" }, "Sign in")));
  view.append(form);

  let stream = null;
  let stopped = false;
  startCamera.addEventListener("click", async () => {
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "user" }, audio: false });
      if (stopped) { stream.getTracks().forEach((t) => t.stop()); return; }
      video.srcObject = stream;
      video.hidden = false;
      startCamera.hidden = true;
    } catch {
      showAlert(problem, "The camera could not start (or was not allowed): choose a photo instead.");
    }
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    showAlert(problem, "");
    if (!name.value.trim() || !email.value.trim()) { showAlert(problem, "Give your name and your email address."); return; }
    if (password.value.length < MIN_PASSWORD) {
      showAlert(problem, `Choose a password of at least ${MIN_PASSWORD} characters.`);
      password.focus();
      return;
    }
    let image = photo.files[0];
    if (!image && stream && video.videoWidth) {
      const canvas = document.createElement("canvas");
      canvas.width = video.videoWidth;
      canvas.height = video.videoHeight;
      canvas.getContext("2d").drawImage(video, 0, 0);
      const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.9));
      image = new File([blob], "face.jpg", { type: "image/jpeg" });
    }
    if (!image) { showAlert(problem, "Add a photo of your face: use the camera or choose a photo."); return; }
    const role = form.elements.role.value;
    try {
      const answer = await api.call(ROLES[role].register, { email_id: email.value.trim(), name: name.value.trim(),
        passwd_hash: md5Hex(password.value), image_file: image }, { button: submit, anonymous: true });
      if (stream) stream.getTracks().forEach((t) => t.stop());
      if (answer.token) {
        const signedInAs = auth.ROLE_OF_TYPE[answer.user_type] || role;
        localStorage.setItem(auth.LAST_ROLE_KEY, signedInAs);
        auth.remember(answer, signedInAs);
        location.hash = `#/${auth.HOME[signedInAs]}`;
        return;
      }
      localStorage.setItem(auth.LAST_ROLE_KEY, role);
      replace(view, h("div", { className: "card narrow" },
        h("h1", { tabindex: -1 }, "Your account is waiting for approval"),
        h("p", { role: "status" }, answer.SUCCESS),
        h("p", {}, "You can sign in once the school's administrator has approved it."),
        h("a", { href: "#/signin" }, "Back to the sign-in page")));
      view.querySelector("h1").focus();
    } catch (error) {
      showAlert(problem, error.message);
    }
  });

  name.focus();
  return () => {
    stopped = true;
    if (stream) stream.getTracks().forEach((t) => t.stop());
  };
}
