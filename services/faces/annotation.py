"""A class photo drawn with one labelled box per face, for the teacher to check at a glance."""
import io

from PIL import Image, ImageDraw

ANNOTATION_SIDE = 2000
COLOURS = {"matched": (40, 200, 80), "needs_review": (255, 170, 0), "unknown": (230, 40, 40)}


def annotate(pixels, labelled):
    """A JPEG of the photo with one box per face: ``labelled`` is [(Box, decision, label)].

    Matched faces are green, faces to review amber, unknown faces red; the copy is scaled to
    at most ANNOTATION_SIDE pixels so the answer stays small.
    """
    image = Image.fromarray(pixels)
    scale = min(1.0, ANNOTATION_SIDE / max(image.size))
    if scale < 1.0:
        image = image.resize((round(image.width * scale), round(image.height * scale)), Image.BILINEAR)
    draw = ImageDraw.Draw(image)
    line = max(2, round(max(image.size) / 600))
    for box, decision, label in labelled:
        colour = COLOURS[decision]
        rect = [box.left * scale, box.top * scale, box.right * scale, box.bottom * scale]
        draw.rectangle(rect, outline=colour, width=line)
        text_top = max(0, rect[1] - 14)
        draw.rectangle([rect[0], text_top, rect[0] + 7 * len(label) + 6, text_top + 13], fill=colour)
        draw.text((rect[0] + 3, text_top + 1), label, fill=(0, 0, 0))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()
