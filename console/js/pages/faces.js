// A student's enrolled faces: how many and when (get_my_faces, never the templates), add one
// more from the camera or a photo (add_face, up to the server's limit), or delete them all
// (delete_my_faces).
import * as api from "../api.js";
import { when } from "../people.js";
import { alertBox, field, h, replace, showAlert } from "../dom.js";

export const title = "My faces";
export const roles = ["student"];
const SOURCE_LABEL = { enrollment: "when you signed up", add_face: "added later" };

export function render(view) {
  const problem = alertBox();
  const notice = h("p", { className: "alert success", role: "status", tabindex: -1, hidden: true });
  const summary = h("p", { className: "summary big", "aria-live": "polite" }, "Loading…");
  const list = h("ol", { className: "enrolled", "aria-label": "Enrolled faces" });
  const video = h("video", { autoplay: true, muted: true, playsinline: true, "aria-label": "Your camera's picture", hidden: true });
  video.muted = true;
  const startCamera = h("button", { type: "button" }, "Use the camera");
  const file = h("input", { type: "file", accept: "image/jpeg,image/png,image/webp", capture: "user" });
  const add = h("button", { type: "submit", className: "primary" }, "Add this face");
  const limit = h("span", {}, "");
  const addForm = h("form", { className: "card" },
    h("h2", {}, "Add a face"),
    h("p", { className: "hint" }, "A clear photo of your face alone helps Rollcall recognise you, with glasses or without, in another light.", limit),
    h("div", { className: "selfie" }, video), h("div", { className: "actions" }, startCamera),
    field("Or choose a photo of your face", file), add);
  const remove = h("button", { type: "button", className: "danger-outline" }, "Delete all my faces");
  const removeBox = h("div", { className: "card" }, h("h2", {}, "Delete all my faces"),
    h("p", {}, "Rollcall forgets your face: selfie check-in, class photos and the door kiosk stop recognising you until you add a face again. Your attendance records stay."),
    remove);
  view.append(h("h1", {}, "My faces"), problem, notice, summary, list, addForm, removeBox);

  let stream = null;
  let stopped = false;
  const say = (message) => { notice.hidden = !message; notice.textContent = message || ""; if (message) notice.focus(); };

  async function load() {
    try {
      const { count, most, enrollments } = await api.call("get_my_faces");
      limit.textContent = ` Up to ${most} faces.`;
      summary.textContent = count ? `${count} of ${most} faces enrolled.` : "No face enrolled: selfie check-in and class photos cannot recognise you.";
      replace(list, enrollments.map((f) => h("li", {}, `Enrolled ${when(f.enrolled_at)}`,
        h("span", { className: "hint" }, ` (${SOURCE_LABEL[f.source] || f.source})`))));
      add.disabled = count >= most;
      remove.disabled = count === 0;
      if (count >= most) summary.textContent += " That is the most: delete them all to start again.";
    } catch (error) {
      showAlert(problem, error.message);
    }
  }

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

  addForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    showAlert(problem, "");
    say("");
    let image = file.files[0];
    if (!image && stream && video.videoWidth) {
      const canvas = document.createElement("canvas");
      canvas.width = video.videoWidth;
      canvas.height = video.videoHeight;
      canvas.getContext("2d").drawImage(video, 0, 0);
      const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.9));
      image = new File([blob], "face.jpg", { type: "image/jpeg" });
    }
    if (!image) { showAlert(problem, "Use the camera or choose a photo first."); return; }
    try {
      const answer = await api.call("add_face", { image_file: image }, { button: add });
      file.value = "";
      await load();
      say(`Face added: ${answer.faces_enrolled} enrolled now.`);
    } catch (error) {
      showAlert(problem, error.message);
    }
  });

  remove.addEventListener("click", () => {
    remove.hidden = true;
    const yes = h("button", { type: "button", className: "danger" }, "Yes, delete every face");
    const no = h("button", { type: "button" }, "Keep them");
    const box = h("div", { className: "confirm", role: "group", "aria-label": "Delete all your faces?" },
      h("p", {}, "Delete every enrolled face? This cannot be undone."), h("div", { className: "actions" }, yes, no));
    removeBox.append(box);
    yes.focus();
    no.addEventListener("click", () => { box.remove(); remove.hidden = false; remove.focus(); });
    yes.addEventListener("click", async () => {
      try {
        const answer = await api.call("delete_my_faces", {}, { button: yes });
        box.remove();
        remove.hidden = false;
        await load();
        say(answer.SUCCESS.replace("enroll one with add_face", "add one on this page"));
      } catch (error) {
        showAlert(problem, error.message);
      }
    });
  });

  load();
  return () => {
    stopped = true;
    if (stream) stream.getTracks().forEach((t) => t.stop());
  };
}
