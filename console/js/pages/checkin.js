// A student's selfie check-in (mark_attendance) for a class running now
// (get_pending_attendance): the camera's picture or a chosen photo, the presence code when the
// room shows one, and the answer in plain words.
import * as api from "../api.js";
import { alertBox, field, h, replace } from "../dom.js";
import { describe, fromParams, fromRecord, key } from "../slot.js";

export const title = "Check in";
export const roles = ["student"];

// The answer in plain words: a headline per refusal code, then the server's own sentence.
const HEADLINES = {
  already_marked: "You are already marked for this class.",
  face_mismatch: "That does not look like your enrolled face.",
  no_face_enrolled: "You have no face enrolled yet.",
  not_open: "This class is not open for check-in right now.",
  not_on_roster: "You are not on this class's list.",
  bad_presence_code: "The presence code is needed or is not right.",
  no_such_class: "This class no longer exists.",
  no_face: "No face was found in the picture.",
  multiple_faces: "More than one face is in the picture.",
  unreadable_image: "The picture could not be read.",
  outside_school_network: "Check-in works only from the school's network.",
};
const ADVICE = {
  face_mismatch: "Face the camera in good light, without a cap or sunglasses, and try again.",
  no_face: "Hold the phone at arm's length, your face in the middle of the picture, and try again.",
  bad_presence_code: "Type the 6 digits shown in the room now, then check in again.",
};

async function frameOf(video) {
  const canvas = document.createElement("canvas");
  canvas.width = video.videoWidth;
  canvas.height = video.videoHeight;
  canvas.getContext("2d").drawImage(video, 0, 0);
  const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.9));
  return new File([blob], "selfie.jpg", { type: "image/jpeg" });
}

export function render(view, params) {
  const wanted = fromParams(params);
  const problem = alertBox();
  const choice = h("div");
  const video = h("video", { autoplay: true, muted: true, playsinline: true, "aria-label": "Your camera's picture" });
  video.muted = true;
  const cameraNote = h("p", { className: "hint", "aria-live": "polite" }, "Starting the camera…");
  const file = h("input", { type: "file", accept: "image/jpeg,image/png,image/webp", capture: "user" });
  const code = h("input", { type: "text", name: "presence_code", inputmode: "numeric", autocomplete: "one-time-code",
    maxlength: 7, pattern: "[0-9 ]*" });
  const send = h("button", { type: "submit", className: "primary" }, "Check in");
  const result = h("div", { className: "result", role: "status", "aria-live": "polite", tabindex: -1 });
  const form = h("form", { className: "card", hidden: true },
    choice,
    h("div", { className: "selfie" }, video, cameraNote),
    field("Or choose a selfie", file, "A photo of your face alone, taken now."),
    field("Presence code shown in the room", code, "Only if your teacher shows a code on the screen."),
    problem, send);
  view.append(h("h1", {}, "Check in"),
    h("p", { className: "lead" }, "Look at the camera, then press Check in. Rollcall compares the picture with your enrolled face and keeps no photo."),
    form, result);

  let stream = null;
  let stopped = false;
  let sessions = [];

  async function openCamera() {
    if (!navigator.mediaDevices?.getUserMedia) { cameraNote.textContent = "This browser has no camera here: choose a selfie instead."; return; }
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "user", width: { ideal: 1280 } }, audio: false });
      if (stopped) { stream.getTracks().forEach((t) => t.stop()); return; }
      video.srcObject = stream;
      cameraNote.textContent = "The camera is on. Your face should fill the middle of the picture.";
    } catch {
      video.hidden = true;
      cameraNote.textContent = "The camera could not start (or was not allowed): choose a selfie instead.";
    }
  }

  function say(headline, detail, kind, extra) {
    replace(result, h("p", { className: `alert ${kind}` }, h("span", { className: "big" }, headline), detail || "", extra || null));
    result.focus();
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    replace(result);
    const picked = form.querySelector("input[name=session]:checked");
    const slot = sessions.find((s) => key(s) === picked?.value);
    if (!slot) return;
    let image = file.files[0];
    if (!image && stream && video.videoWidth) image = await frameOf(video);
    if (!image) { say("No picture yet.", "Allow the camera, or choose a selfie.", "error"); return; }
    try {
      const answer = await api.call("mark_attendance", { ...fromRecord(slot), image_file: image,
        presence_code: code.value.replace(/\s/g, "") || undefined }, { button: send });
      const at = answer.record.marked_time ? answer.record.marked_time.slice(11, 16) : "";
      form.hidden = true; // checked in: the camera is no longer needed
      if (stream) stream.getTracks().forEach((t) => t.stop());
      const late = answer.record.late ? ` That is ${answer.record.minutes_late || "some"} minutes after the start: late.` : "";
      say(`You are marked present in ${slot.class_name}.`, (at ? `Checked in at ${at}.` : "") + late, "success");
    } catch (error) {
      const headline = HEADLINES[error.code] || "Not checked in.";
      const extra = error.code === "no_face_enrolled" ? h("a", { href: "#/faces" }, " Add your face") : null;
      say(headline, [error.message, ADVICE[error.code]].filter(Boolean).join(" "), "error", extra);
      if (error.code === "bad_presence_code") code.focus();
    }
  });

  api.call("get_pending_attendance").then((pending) => {
    sessions = pending.map(fromRecord);
    if (!sessions.length) {
      replace(result, h("p", { className: "alert info" }, "No class is open for check-in right now. Check-in opens a few minutes before a class starts. ",
        h("a", { href: "#/mine" }, "See my attendance")));
      return;
    }
    const chosen = sessions.find((s) => wanted && key(s) === key(wanted)) || sessions[0];
    replace(choice, h("fieldset", {}, h("legend", {}, "Which class?"),
      sessions.map((s) => h("label", { className: "check" },
        h("input", { type: "radio", name: "session", value: key(s), checked: s === chosen }), describe(s)))));
    form.hidden = false;
    openCamera();
  }).catch((error) => replace(result, h("p", { className: "alert error" }, error.message)));

  return () => {
    stopped = true;
    if (stream) stream.getTracks().forEach((t) => t.stop());
  };
}
