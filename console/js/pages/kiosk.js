// The door kiosk: a tablet at the door, opened by the teacher for one session. The camera runs
// continuously; when the picture is steady and differs from the last frame sent, one frame
// goes to kiosk_check_in (never more than one at a time). Rollcall recognises the face among
// this session's roster only; the page shows the name and a check for a moment. No frame is
// kept: each one lives in memory until its answer arrives.
import * as api from "../api.js";
import * as auth from "../auth.js";
import * as slots from "../slot.js";
import { md5Hex } from "../md5.js";
import { field, h, replace } from "../dom.js";

export const title = "Door kiosk";
export const bare = true;

const SAMPLE_W = 64, SAMPLE_H = 48; // a thumbnail is enough to tell movement from stillness
const CHECK_MS = 200;
const STEADY_CHECKS = 3; // this many still samples in a row: someone is standing in front
const STILL = 6; // mean grey-level change per pixel below which two samples are "the same"
const NEW_SCENE = 12; // how different from the last frame sent a steady picture must be
const SHOW_MS = 3000;
const DARK = 40;

function grey(context, video) {
  context.drawImage(video, 0, 0, SAMPLE_W, SAMPLE_H);
  const { data } = context.getImageData(0, 0, SAMPLE_W, SAMPLE_H);
  const out = new Uint8Array(SAMPLE_W * SAMPLE_H);
  for (let i = 0; i < out.length; i++) out[i] = (data[i * 4] * 3 + data[i * 4 + 1] * 6 + data[i * 4 + 2]) / 10;
  return out;
}

function difference(a, b) {
  if (!a || !b) return Infinity;
  let total = 0;
  for (let i = 0; i < a.length; i++) total += Math.abs(a[i] - b[i]);
  return total / a.length;
}

function mean(a) {
  let total = 0;
  for (const value of a) total += value;
  return total / a.length;
}

// The tablet stays at the door with the teacher's sign-in: leaving the kiosk for the rest of
// the console takes the teacher's password again, so a student cannot open the roster.
function unlockForm(slot) {
  const password = h("input", { type: "password", autocomplete: "current-password" });
  const submit = h("button", { type: "submit", className: "primary" }, "Leave");
  const problem = h("p", { className: "alert error", role: "alert", hidden: true });
  const form = h("form", { className: "card kiosk-lock", hidden: true },
    field("Teacher's password, to leave the kiosk", password), problem, submit);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const who = auth.current();
    try {
      const answer = await api.call("login_teacher", { email_id: who.email, passwd_hash: md5Hex(password.value) },
        { button: submit, anonymous: true });
      auth.remember(answer);
      location.hash = slots.link("session", slot);
    } catch (error) {
      problem.hidden = false;
      problem.textContent = error.message;
      password.select();
    }
  });
  return form;
}

export function render(view, params) {
  const slot = slots.fromParams(params);
  if (!slot) return slots.sayNoSession(view, "Door kiosk");
  const video = h("video", { className: "kiosk-video", autoplay: true, muted: true, playsinline: true, "aria-label": "Camera picture" });
  video.muted = true;
  const answer = h("div", { className: "kiosk-answer", role: "status", "aria-live": "assertive" });
  const hint = h("p", { className: "kiosk-hint" }, "Stand in front of the camera and look at it for a moment.");
  const problem = h("p", { className: "alert error", role: "alert", hidden: true });
  const counter = h("p", { className: "kiosk-count" });
  const start = h("button", { type: "button", className: "primary", hidden: true }, "Start the camera");
  const leave = h("button", { type: "button" }, "Leave the kiosk");
  const fullScreen = h("button", { type: "button" }, "Full screen");
  const lock = unlockForm(slot);
  view.append(h("div", { className: "kiosk" },
    h("div", { className: "projector-bar" }, leave,
      h("h1", {}, `${slot.class_name} · ${slot.start_time}–${slot.end_time}`), fullScreen),
    lock,
    h("div", { className: "kiosk-stage" }, video, answer),
    hint, start, problem, counter));
  leave.addEventListener("click", () => {
    lock.hidden = !lock.hidden;
    if (!lock.hidden) lock.querySelector("input").focus();
  });
  fullScreen.addEventListener("click", () => {
    if (document.fullscreenElement) document.exitFullscreen();
    else document.documentElement.requestFullscreen?.().catch(() => null);
  });

  const sample = document.createElement("canvas");
  sample.width = SAMPLE_W;
  sample.height = SAMPLE_H;
  const sampleContext = sample.getContext("2d", { willReadFrequently: true });
  const frame = document.createElement("canvas");

  let stream = null;
  let stopped = false;
  let timer = null;
  let previous = null;
  let lastSent = null;
  let steadyFor = 0;
  let inFlight = false;
  let showingUntil = 0;
  let blockedUntil = 0;
  const marked = new Set();

  const show = (kind, big, small) => {
    replace(answer, h("div", { className: `kiosk-card ${kind}` },
      kind === "ok" ? h("span", { className: "tick", "aria-hidden": "true" }, "✓") : null,
      h("p", { className: "kiosk-big" }, big), small ? h("p", { className: "kiosk-small" }, small) : null));
    showingUntil = Date.now() + SHOW_MS;
  };

  const send = async (picture) => {
    inFlight = true;
    lastSent = picture;
    try {
      frame.width = video.videoWidth;
      frame.height = video.videoHeight;
      // Sent as the camera gives it: brightening dim frames here was tried and made an enrolled
      // student's dim photo unrecognisable (bench.console's kiosk line); the page says when it is dark.
      frame.getContext("2d").drawImage(video, 0, 0);
      const jpeg = await new Promise((resolve) => frame.toBlob(resolve, "image/jpeg", 0.85));
      const result = await api.call("kiosk_check_in", { ...slot, image_file: new File([jpeg], "frame.jpg", { type: "image/jpeg" }) }, { quiet: true });
      problem.hidden = true;
      if (result.status === "marked") {
        marked.add(result.student_email_id);
        show("ok", result.name || result.student_email_id, "Marked present");
      } else if (result.status === "already_marked") {
        show("info", result.name || result.student_email_id, "Already marked");
      } else if (result.status === "no_face") {
        lastSent = null; // nobody yet: look again when the picture settles
      } else {
        show("warn", "Not recognised", "Please see your teacher.");
      }
      counter.textContent = marked.size ? `${marked.size} checked in at this door` : "";
    } catch (error) {
      problem.hidden = false;
      problem.textContent = error instanceof api.ConnectionLost ? "Connection lost; trying again…" : error.message;
      lastSent = null;
      blockedUntil = Date.now() + (error instanceof api.ConnectionLost ? 2000 : 5000);
    } finally {
      inFlight = false;
    }
  };

  const watch = () => {
    if (stopped) return;
    timer = setTimeout(watch, CHECK_MS);
    if (video.readyState < 2 || !video.videoWidth) return;
    const picture = grey(sampleContext, video);
    const still = difference(picture, previous) < STILL;
    previous = picture;
    steadyFor = still ? steadyFor + 1 : 0;
    if (Date.now() > showingUntil && answer.childElementCount) replace(answer);
    hint.textContent = mean(picture) < DARK ? "It is dark here: more light helps the camera."
      : "Stand in front of the camera and look at it for a moment.";
    // A line at the door: the next student's frame may go while the last name is still shown.
    if (inFlight || Date.now() < blockedUntil) return;
    if (steadyFor >= STEADY_CHECKS && difference(picture, lastSent) >= NEW_SCENE) send(picture);
  };

  const open = async () => {
    problem.hidden = true;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "user", width: { ideal: 640 }, height: { ideal: 480 } }, audio: false });
      if (stopped) { stream.getTracks().forEach((t) => t.stop()); return; }
      video.srcObject = stream;
      await video.play().catch(() => null);
      start.hidden = true;
      watch();
    } catch (error) {
      problem.hidden = false;
      problem.textContent = "The camera could not be opened. Allow this page to use the camera, then press Start the camera.";
      start.hidden = false;
    }
  };
  start.addEventListener("click", open);
  if (navigator.mediaDevices?.getUserMedia) open();
  else {
    problem.hidden = false;
    problem.textContent = "This browser gives no camera to this page (it needs https or localhost).";
  }

  return () => {
    stopped = true;
    clearTimeout(timer);
    if (stream) stream.getTracks().forEach((t) => t.stop());
  };
}
