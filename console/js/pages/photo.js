// Class photo: photograph the room (or pick a photo), follow the job while Rollcall looks at
// every face, then see each face boxed: named when recognised, to settle when Rollcall was
// unsure, unknown otherwise. Settling a face marks the student through set_attendance.
import * as api from "../api.js";
import * as slots from "../slot.js";
import { alertBox, field, h, replace, showAlert, svg } from "../dom.js";
import { byName, studentLabel } from "../people.js";

export const title = "Class photo";
const JOB_POLL_MS = 400;
const MAX_PHOTOS = 5; // what mark_class_attendance takes at once
const STATE_LABEL = { matched: "Recognised", needs_review: "To review", unknown: "Not recognised",
  confirmed: "Marked present", dismissed: "Not in this class" };

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// The annotated photo: the teacher's own picture with an SVG layer of boxes over it.
// Labels keep a readable size on screen whatever the photo's resolution: ``shownWidth`` is
// how wide the photo is drawn, in CSS pixels.
function annotatedPhoto(imageUrl, faces, width, height, shownWidth) {
  const scale = width / Math.max(1, Math.min(shownWidth || width, width));
  const stroke = Math.max(2, Math.round(2.5 * scale));
  const fontSize = Math.round(13 * scale);
  const layer = svg("svg", { viewBox: `0 0 ${width} ${height}`, class: "boxes", "aria-hidden": "true",
    preserveAspectRatio: "none" });
  for (const face of faces) {
    const { x_min: x, y_min: y, x_max: x2, y_max: y2 } = face.box;
    const group = svg("g", { class: `face ${face.state}`, "data-face": face.number });
    group.append(svg("rect", { x, y, width: x2 - x, height: y2 - y, "stroke-width": stroke, class: "frame" }));
    const label = face.label ? `${face.number} ${face.label}` : String(face.number);
    const labelWidth = Math.round(fontSize * (0.62 * label.length + 0.8));
    const top = y >= fontSize * 1.5 ? y - fontSize * 1.5 : y2;
    const left = Math.max(0, Math.min(x, width - labelWidth)); // kept inside the photo
    group.append(svg("rect", { x: left, y: top, width: labelWidth, height: fontSize * 1.5, class: "tag" }));
    group.append(svg("text", { x: left + fontSize * 0.4, y: top + fontSize * 1.1, "font-size": fontSize, class: "tag-text" }, label));
    layer.append(group);
  }
  const image = h("img", { src: imageUrl,
    alt: `A class photo with ${faces.length} faces boxed and numbered; each face is listed below.` });
  return h("div", { className: "photo-frame" }, image, layer);
}

// The face cut from the teacher's own photo, so an unsure face can be judged without hunting
// for its number in a photo of thirty.
function faceCrop(picture, face, size = 88) {
  const { x_min: x, y_min: y, x_max: x2, y_max: y2 } = face.box;
  const margin = Math.round((x2 - x) * 0.25);
  const left = Math.max(0, x - margin), top = Math.max(0, y - margin);
  const side = Math.min(Math.max(x2 - x, y2 - y) + 2 * margin, picture.naturalWidth - left, picture.naturalHeight - top);
  const canvas = h("canvas", { width: size, height: size, className: "face-crop", role: "img",
    "aria-label": `Face ${face.number}, cut from the photo` });
  canvas.getContext("2d").drawImage(picture, left, top, side, side, 0, 0, size, size);
  return canvas;
}

function faceLabel(face) {
  if (face.state === "matched" || face.state === "confirmed") return face.name;
  if (face.state === "needs_review") return `${face.candidates?.[0]?.name || ""}?`;
  if (face.state === "dismissed") return "not in class";
  return "unknown";
}

export function render(view, params) {
  const slot = slots.fromParams(params);
  if (!slot) return slots.sayNoSession(view, "Class photo");
  const input = h("input", { type: "file", name: "photo", accept: "image/*", capture: "environment", required: true,
    multiple: true });
  const submit = h("button", { type: "submit", className: "primary" }, "Mark attendance from this photo");
  const problem = alertBox();
  const progress = h("div", { className: "progress", hidden: true, role: "status" },
    h("progress", { "aria-label": "Processing the photo" }), h("span", { className: "progress-text" }));
  const result = h("section", { className: "photo-result", "aria-live": "polite" });
  const form = h("form", { className: "card" },
    field("Photo of the class", input, `Take it with the camera, or pick a photo: everyone facing the camera. A large room may `
      + `take up to ${MAX_PHOTOS} photos, picked together.`),
    problem, submit);
  view.append(
    h("p", { className: "crumbs" }, h("a", { href: "#/today" }, "Today"), " › ", h("a", { href: slots.link("session", slot) }, slot.class_name), " › Class photo"),
    h("h1", {}, "Class photo"),
    h("p", { className: "when" }, slots.describe(slot), " (school time)"),
    form, progress, result);

  let stopped = false;
  let imageUrls = []; // one per photo sent, in order (a face's image_index)
  let onResize = null; // labels are sized for the width the photo is drawn at

  const setProgress = (text) => {
    progress.hidden = !text;
    progress.querySelector(".progress-text").textContent = text || "";
  };

  const waitForJob = async (queued) => {
    let job = queued;
    while (!stopped && (job.status === "queued" || job.status === "running")) {
      setProgress(job.status === "queued" ? "Waiting for its turn…"
        : `Looking at the faces… ${job.faces_found} found so far`
          + (job.photos > 1 ? `, ${job.photos_done} of ${job.photos} photos done.` : "."));
      await sleep(JOB_POLL_MS);
      try {
        job = await api.call("get_photo_job", { job_id: job.job_id }, { quiet: true });
      } catch (error) {
        if (!(error instanceof api.ConnectionLost)) throw error;
        setProgress("Connection lost; still trying to read the result…");
      }
    }
    if (job.status === "failed") throw new api.ApiError(job.error?.ERROR || "The photo could not be processed.", job.error?.code);
    return job;
  };

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    showAlert(problem, "");
    const files = [...input.files];
    if (!files.length || files.length > MAX_PHOTOS) {
      showAlert(problem, files.length ? `Pick at most ${MAX_PHOTOS} photos at once.` : "Take or pick a photo first.");
      input.focus();
      return;
    }
    submit.disabled = true;
    replace(result);
    try {
      setProgress(files.length > 1 ? `Sending the ${files.length} photos…` : "Sending the photo…");
      const queued = await api.call("mark_class_attendance", { ...slot, image_file: files, async: 1 }, { button: submit });
      submit.disabled = true;
      const answer = await waitForJob(queued);
      setProgress("Drawing the boxes…");
      const roster = await api.call("get_class_attendance", slot);
      imageUrls.forEach((url) => URL.revokeObjectURL(url));
      imageUrls = files.map((file) => URL.createObjectURL(file));
      await showResult(answer, roster);
    } catch (error) {
      showAlert(problem, error.message);
    } finally {
      setProgress("");
      submit.disabled = false;
    }
  });

  const showResult = async (answer, roster) => {
    const pictures = imageUrls.map((url) => Object.assign(new Image(), { src: url }));
    await Promise.all(pictures.map((picture) => picture.decode().catch(() => null)));
    const faces = answer.faces.map((face, i) => ({ ...face, number: i + 1, state: face.status }));
    const summary = h("p", { className: "summary big" });
    const list = h("ol", { className: "faces" });
    const figure = h("div");
    const enrolled = byName(roster.filter((r) => r.status !== "not_enrolled")); // invited emails cannot be recognised yet
    const labelOf = new Map(enrolled.map((r) => [r.student_email_id, studentLabel(r)]));
    const nameOf = new Map(enrolled.map((r) => [r.student_email_id, r.student_name]));
    const present = new Set(roster.filter((r) => r.status === "present").map((r) => r.student_email_id));

    const keepReviews = () => slots.savePendingReviews(slot, faces.filter((f) => f.state === "needs_review")
      .map((f) => ({ number: f.number })));

    const drawFigure = () => replace(figure, pictures.map((picture, index) => annotatedPhoto(imageUrls[index],
      faces.filter((face) => face.image_index === index), picture.naturalWidth || 1, picture.naturalHeight || 1,
      result.clientWidth)));

    const redraw = () => {
      summary.textContent = `${present.size} of ${enrolled.length} on the roster present`;
      for (const face of faces) face.label = faceLabel(face);
      drawFigure();
      const open = faces.filter((f) => f.state === "needs_review").length;
      reviewHint.textContent = open
        ? `${open} face${open > 1 ? "s" : ""} to review: Rollcall was not sure enough to mark them. Settle them below.`
        : "Every face is decided. Unknown faces mark nobody.";
      replace(list, faces.map((face) => faceItem(face)));
      keepReviews();
    };

    const settle = async (face, email, button, itemProblem) => {
      try {
        await api.call("set_attendance", { ...slot, student_email_id: email, status: "present",
          note: `Confirmed from a class photo (face ${face.number}).` }, { button });
        present.add(email);
        face.state = "confirmed";
        face.name = face.candidates?.find((c) => c.student_email_id === email)?.name || nameOf.get(email) || email;
        face.student_email_id = email;
        redraw();
        list.querySelector(`[data-face="${face.number}"] .state`)?.focus();
      } catch (error) {
        showAlert(itemProblem, error.message);
      }
    };

    const faceItem = (face) => {
      const state = h("span", { className: `badge ${face.state}`, tabindex: -1 }, STATE_LABEL[face.state]);
      const item = h("li", { className: `face-item ${face.state}`, "data-face": face.number },
        face.state === "needs_review" && pictures[face.image_index] ? faceCrop(pictures[face.image_index], face) : null,
        h("span", { className: "face-number" }, `Face ${face.number}`), " ", state, " ");
      if (face.state === "matched" || face.state === "confirmed") {
        item.append(h("strong", {}, face.name), ` (${face.student_email_id}), marked present.`);
      } else if (face.state === "unknown") {
        item.append("Not one of this class's students, or not enrolled.");
      } else if (face.state === "dismissed") {
        item.append("Left unmarked.");
      } else {
        const best = face.candidates?.[0];
        const itemProblem = alertBox();
        const yes = h("button", { type: "button", className: "primary" }, best ? `Yes, ${best.name} is here` : "Mark present");
        const others = [...(face.candidates || []).map((c) => c.student_email_id), ...labelOf.keys()]
          .filter((email, i, all) => all.indexOf(email) === i && email !== best?.student_email_id);
        const choice = h("select", {}, others.map((email) => h("option", { value: email }, labelOf.get(email) || email)));
        const pick = h("button", { type: "button" }, "Mark the chosen student present");
        const no = h("button", { type: "button" }, "Not in this class");
        item.append(best ? h("span", {}, "Is this ", h("strong", {}, best.name), ` (${best.student_email_id})?`) : "Who is this?",
          h("div", { className: "actions" }, best ? yes : null, no),
          h("div", { className: "pick" }, field(`Someone else on the roster (face ${face.number})`, choice), pick),
          itemProblem);
        yes.addEventListener("click", () => settle(face, best.student_email_id, yes, itemProblem));
        pick.addEventListener("click", () => settle(face, choice.value, pick, itemProblem));
        no.addEventListener("click", () => { face.state = "dismissed"; redraw(); });
      }
      return item;
    };

    const reviewHint = h("p", { className: "hint" });
    const heading = h("h2", { tabindex: -1 }, "Result");
    replace(result,
      heading,
      answer.roster_empty ? h("p", { className: "alert error" }, answer.SUCCESS) : null,
      // Students whose enrolled faces the server could not open are named in its sentence.
      answer.unreadable_faces?.length ? h("p", { className: "alert info" }, answer.SUCCESS) : null,
      summary,
      reviewHint,
      h("ul", { className: "legend", "aria-label": "Colours" },
        h("li", { className: "matched" }, "recognised"), h("li", { className: "needs_review" }, "to review"),
        h("li", { className: "unknown" }, "not recognised")),
      figure,
      h("h2", {}, "Faces"),
      list,
      h("p", {}, h("a", { className: "button", href: slots.link("session", slot) }, "See the whole roster")));
    redraw();
    if (onResize) window.removeEventListener("resize", onResize);
    let resizeTimer = null;
    onResize = () => { clearTimeout(resizeTimer); resizeTimer = setTimeout(drawFigure, 150); };
    window.addEventListener("resize", onResize);
    heading.scrollIntoView({ block: "start" });
    heading.focus({ preventScroll: true });
  };

  return () => {
    stopped = true;
    if (onResize) window.removeEventListener("resize", onResize);
    imageUrls.forEach((url) => URL.revokeObjectURL(url));
  };
}
