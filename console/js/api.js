// The one way the console talks to Rollcall: POST /api/v1/<path> with a multipart form (as any
// client of the documented API does), the token as a Bearer header. A refusal becomes an
// ApiError carrying the server's ERROR sentence; a lost connection or a slow answer is said
// in the connection bar, with a Retry button; a button is disabled while its request runs.
import * as auth from "./auth.js";

const SLOW_AFTER_MS = 6000;

export class ApiError extends Error {
  constructor(message, code) {
    super(message);
    this.code = code;
  }
}

// Thrown for a quiet request (a poll) that could not reach the server.
export class ConnectionLost extends Error {}

function form(fields) {
  const body = new FormData();
  for (const [name, value] of Object.entries(fields)) {
    if (value === null || value === undefined) continue;
    for (const item of Array.isArray(value) ? value : [value]) {
      if (item instanceof Blob) body.append(name, item, item.name || `${name}.jpg`);
      else body.append(name, String(item));
    }
  }
  return body;
}

// The connection bar (index.html): one message at a time, with Retry when it helps.
const bar = {
  element: () => document.getElementById("connection"),
  show(message, onRetry, onDismiss) {
    const element = this.element();
    if (!element) return;
    element.querySelector(".message").textContent = message;
    const retry = element.querySelector("button.retry");
    const dismiss = element.querySelector("button.dismiss");
    retry.hidden = !onRetry;
    dismiss.hidden = !onDismiss;
    retry.onclick = () => { this.hide(); onRetry(); };
    dismiss.onclick = () => { this.hide(); onDismiss(); };
    element.hidden = false;
    if (onRetry) retry.focus();
  },
  hide() {
    const element = this.element();
    if (element) element.hidden = true;
  },
};

async function send(path, fields, signal) {
  const who = auth.current();
  const headers = { Accept: "application/json" };
  if (who) headers.Authorization = `Bearer ${who.token}`;
  return fetch(`/api/v1/${path}`, { method: "POST", body: form(fields), headers, signal, credentials: "omit" });
}

async function errorFrom(response) {
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  if (body && typeof body.ERROR === "string") return new ApiError(body.ERROR, body.code);
  if (response.status >= 500) return new ApiError("Rollcall could not answer just now; nothing was changed. Try again in a moment.", "server");
  return new ApiError("Rollcall refused this request.", "refused");
}

function signedOut(error) {
  if (["token_expired", "token_invalid", "token_missing"].includes(error.code)) {
    auth.forget();
    sessionStorage.setItem("rollcall.signin-message", "Your sign-in has expired; please sign in again.");
    location.hash = "#/signin";
  }
}

// call("get_class_attendance", {class_name, ...}, {button}) -> the answer's JSON.
// The caller's email is added as teacher_email_id (a teacher) or email_id (a student or an
// admin: student endpoints take email_id as student_email_id) unless the fields name it.
// options.button: disabled (and aria-busy) while the request runs.
// options.quiet: for polls: no connection bar, a ConnectionLost is thrown instead.
// options.raw: resolve with the Response itself (downloads).
export function call(path, fields = {}, options = {}) {
  const who = auth.current();
  const all = { ...fields };
  const owner = who && who.role !== "teacher" ? "email_id" : "teacher_email_id";
  if (who && !(owner in all) && !options.anonymous) all[owner] = who.email;
  const button = options.button;
  if (button) {
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
  }
  const release = () => {
    if (button) {
      button.disabled = false;
      button.removeAttribute("aria-busy");
    }
  };
  return new Promise((resolve, reject) => {
    const attempt = async () => {
      const slowTimer = options.quiet ? null : setTimeout(
        () => bar.show("Rollcall is taking longer than usual to answer; still waiting…"), SLOW_AFTER_MS);
      let response;
      try {
        response = await send(path, all, options.signal);
      } catch (problem) {
        clearTimeout(slowTimer);
        if (problem && problem.name === "AbortError") { release(); reject(problem); return; }
        if (options.quiet) { release(); reject(new ConnectionLost("The connection to Rollcall was lost.")); return; }
        bar.show("The connection to Rollcall was lost. Check the network, then retry.", attempt,
          () => { release(); reject(new ApiError("Not sent: the connection to Rollcall was lost.", "offline")); });
        return;
      }
      clearTimeout(slowTimer);
      if (!options.quiet) bar.hide();
      const isError = !response.ok || response.headers.has("X-Error-Status");
      if (isError) {
        const error = await errorFrom(response);
        release();
        signedOut(error);
        reject(error);
        return;
      }
      if (options.raw) { release(); resolve(response); return; }
      let body;
      try {
        body = await response.json();
      } catch {
        release();
        reject(new ApiError("Rollcall's answer could not be read; try again.", "bad_answer"));
        return;
      }
      release();
      if (body && typeof body === "object" && !Array.isArray(body) && typeof body.ERROR === "string") {
        const error = new ApiError(body.ERROR, body.code);
        signedOut(error);
        reject(error);
        return;
      }
      resolve(body);
    };
    attempt();
  });
}

// A file answer (exports): saved under the server's file name.
export async function download(path, fields, options = {}) {
  const response = await call(path, fields, { ...options, raw: true });
  const blob = await response.blob();
  const disposition = response.headers.get("Content-Disposition") || "";
  const match = /filename\*=UTF-8''([^;]+)/i.exec(disposition) || /filename="([^"]+)"/i.exec(disposition);
  const name = match ? decodeURIComponent(match[1]) : "attendance";
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
  return name;
}
