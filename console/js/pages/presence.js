// The presence code for the projector: the code, its QR code and a countdown to the next one,
// refreshing by itself. Students type the code (or scan it) when they check in.
import * as api from "../api.js";
import * as slots from "../slot.js";
import { h, replace } from "../dom.js";

export const title = "Presence code";
export const bare = true;

export function render(view, params) {
  const slot = slots.fromParams(params);
  if (!slot) return slots.sayNoSession(view, "Presence code");
  const code = h("p", { className: "code", "aria-live": "polite", "aria-label": "Presence code" }, "······");
  const qr = h("img", { className: "qr", alt: "QR code of the presence code", hidden: true });
  const countdown = h("p", { className: "countdown" });
  const meter = h("progress", { max: 30, value: 30, "aria-label": "Time left for this code" });
  const message = h("p", { className: "alert error", role: "alert", hidden: true });
  const fullScreen = h("button", { type: "button" }, "Full screen");
  view.append(h("div", { className: "projector" },
    h("div", { className: "projector-bar" },
      h("a", { href: slots.link("session", slot), className: "button" }, "Back"), fullScreen),
    h("h1", {}, slot.class_name),
    h("p", { className: "when" }, `${slots.dayLabel(slot.class_date)}, ${slot.start_time}–${slot.end_time}`),
    h("p", { className: "instruction" }, "Check in with this code:"),
    code, qr, countdown, meter, message));

  fullScreen.addEventListener("click", () => {
    if (document.fullscreenElement) document.exitFullscreen();
    else document.documentElement.requestFullscreen?.().catch(() => null);
  });

  let stopped = false;
  let refreshTimer = null;
  let tickTimer = null;
  let expiresAt = 0;
  let step = 30;

  const tick = () => {
    const left = Math.max(0, Math.ceil((expiresAt - Date.now()) / 1000));
    countdown.textContent = `New code in ${left} s`;
    meter.max = step;
    meter.value = left;
  };

  const load = async () => {
    clearTimeout(refreshTimer);
    try {
      const answer = await api.call("get_presence_code", { ...slot, qr: 1 }, { quiet: true });
      if (stopped) return;
      message.hidden = true;
      replace(code, answer.presence_code.replace(/^(\d{3})(\d{3})$/, "$1 $2"));
      code.dataset.code = answer.presence_code;
      if (answer.qr_png_base64) {
        qr.src = `data:image/png;base64,${answer.qr_png_base64}`;
        qr.hidden = false;
      }
      step = answer.step_seconds || 30;
      expiresAt = Date.now() + answer.valid_for_seconds * 1000;
      tick();
      refreshTimer = setTimeout(load, answer.valid_for_seconds * 1000 + 300);
    } catch (error) {
      if (stopped) return;
      message.hidden = false;
      message.textContent = error instanceof api.ConnectionLost
        ? "Connection lost; the code on screen may be out of date. Retrying…" : error.message;
      if (error instanceof api.ConnectionLost) refreshTimer = setTimeout(load, 3000);
    }
  };
  tickTimer = setInterval(tick, 1000);
  load();
  return () => { stopped = true; clearTimeout(refreshTimer); clearInterval(tickTimer); };
}
