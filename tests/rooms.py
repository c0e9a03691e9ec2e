"""Composes classroom photos from single-face photos, for tests and benchmarks.

Each face is cut from its photo with some margin and scaled so that its detected face box
is the requested width, then pasted onto a large, textured background.
"""
import io

import numpy as np
from PIL import Image

from services.detection import detect_selfie
from services.images import decode


def face_cutout(photo_bytes, face_width):
    """The photo's (largest) face with a margin, scaled so the face box is ``face_width`` wide."""
    pixels = decode(photo_bytes, 50_000_000)
    box = max(detect_selfie(pixels), key=lambda b: b.width)
    margin = box.width // 2
    crop = Image.fromarray(pixels).crop((box.left - margin, box.top - margin,
                                         box.right + margin, box.bottom + margin))
    scale = face_width / box.width
    return crop.resize((max(1, round(crop.width * scale)), max(1, round(crop.height * scale))), Image.LANCZOS)


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
        canvas.paste(cutout, (x, y))
        centres.append((x + cutout.width // 2, y + cutout.height // 2))
    buffer = io.BytesIO()
    canvas.save(buffer, "JPEG", quality=92)
    return buffer.getvalue(), centres
