"""Composes classroom photos from single-face photos, for tests and benchmarks.

Each face is cut from its photo with some margin and scaled so that its detected face box
is the requested width, then pasted onto a large, textured background. ``posed`` makes a
cutout look like a pupil in a real room: a tilted head, mild blur, a shadow across the face,
part of the face covered.
"""
import io

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from services.faces.detection import detect_selfie
from services.faces.images import decode


def face_cutout(photo_bytes, face_width):
    """The photo's (largest) face with a margin, scaled so the face box is ``face_width`` wide."""
    pixels = decode(photo_bytes, 50_000_000)
    box = max(detect_selfie(pixels), key=lambda b: b.width)
    margin = box.width // 2
    crop = Image.fromarray(pixels).crop((box.left - margin, box.top - margin,
                                         box.right + margin, box.bottom + margin))
    scale = face_width / box.width
    return crop.resize((max(1, round(crop.width * scale)), max(1, round(crop.height * scale))), Image.LANCZOS)


def posed(cutout, angle=0.0, blur=0.0, shadow=0.0, occlusion=0.0, mask=False):
    """An RGBA copy of a ``face_cutout`` with the head tilted ``angle`` degrees (counter-clockwise,
    about the face centre, which stays the cutout's centre), a shadow darkening it from left to
    right by up to ``shadow`` (0..1), a Gaussian blur of ``blur`` px, and the lower right
    ``occlusion`` (0..1) of the face's width covered by a dark round shape (a shoulder or a
    raised hand in front), and with ``mask`` a pale blue surgical mask over the nose, mouth and
    chin (drawn before the tilt, so it turns with the head). ``compose`` pastes it through its
    alpha, so the turned corners show the room behind."""
    face_width = cutout.width / 2  # face_cutout's margin is half a face width on each side
    image = cutout.convert("RGB")
    if mask:
        cx, cy = cutout.width / 2, cutout.height / 2
        ImageDraw.Draw(image).rounded_rectangle(
            (cx - 0.5 * face_width, cy + 0.02 * face_width, cx + 0.5 * face_width, cy + 0.62 * face_width),
            radius=0.15 * face_width, fill=(165, 200, 220))
    if blur:
        image = image.filter(ImageFilter.GaussianBlur(blur))
    image = image.convert("RGBA").rotate(angle, resample=Image.BICUBIC, expand=True)
    pixels = np.asarray(image).astype(np.float64)
    if shadow:
        pixels[..., :3] *= np.linspace(1.0, 1.0 - shadow, image.width)[None, :, None]
    image = Image.fromarray(pixels.round().astype(np.uint8), "RGBA")
    if occlusion:
        cx, cy = image.width / 2 + 0.5 * face_width, image.height / 2 + 0.6 * face_width
        radius = occlusion * face_width * 1.6
        ImageDraw.Draw(image).ellipse((cx - radius, cy - radius, cx + radius, cy + radius),
                                      fill=(70, 55, 50, 255))
    return image


def background(width, height, seed=0):
    """A wall-like backdrop: a vertical gradient with mild noise, so nothing is a flat fill."""
    rng = np.random.default_rng(seed)
    ramp = np.linspace(150, 90, height)[:, None, None] * np.array([1.0, 0.95, 0.85])
    noise = rng.normal(0, 6, (height, width, 1))
    return Image.fromarray(np.clip(ramp + noise, 0, 255).astype(np.uint8))


def compose(cutouts, width=4000, height=3000, seed=0):
    """Pastes cutouts row by row (in the given order) and returns (JPEG bytes, centres)."""
    canvas = background(width, height, seed)
    columns = max(1, int(np.ceil(np.sqrt(len(cutouts) * width / height))))
    rows = int(np.ceil(len(cutouts) / columns))
    cell_w, cell_h = width // columns, height // rows
    centres = []
    for i, cutout in enumerate(cutouts):
        row, col = divmod(i, columns)
        x = col * cell_w + (cell_w - cutout.width) // 2
        y = row * cell_h + (cell_h - cutout.height) // 2
        canvas.paste(cutout, (x, y), cutout if cutout.mode == "RGBA" else None)
        centres.append((x + cutout.width // 2, y + cutout.height // 2))
    buffer = io.BytesIO()
    canvas.save(buffer, "JPEG", quality=92)
    return buffer.getvalue(), centres
