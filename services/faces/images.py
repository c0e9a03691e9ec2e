"""Uploaded photo bytes to upright RGB pixels, refusing what is not a photo we can read."""
import io

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from services import timing
from services.errors import ApiError, NotAnImage, TooLarge

ACCEPTED_FORMATS = {"JPEG", "MPO", "PNG", "WEBP"}
# A camera's widest panorama is about 8:1; a 1 x 50,000,000 strip costs seconds to decode
# and scan and shows nobody.
MAX_ASPECT_RATIO = 20

# Pillow's own bomb check would raise at twice its default limit; ours runs first, from
# the header, before any pixel is decoded.
Image.MAX_IMAGE_PIXELS = None


def decode(data, max_pixels):
    """Upright RGB pixels of an uploaded JPEG, PNG or WebP, or a clear error."""
    with timing.phase("decode"):
        return _decode(data, max_pixels)


def _decode(data, max_pixels):
    image = _open(data, max_pixels)
    try:
        image.load()
        image = _upright(image)
        return _to_rgb(image)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        raise NotAnImage("The image is damaged or truncated and cannot be read.",
                         code="unreadable_image") from None


def check_header(data, max_pixels):
    """Refuses, from the header alone and without decoding, what decode() would refuse as
    not a photo, too long and thin, or too many pixels: a queued class photo's obvious errors
    are answered at once."""
    _open(data, max_pixels)


def _open(data, max_pixels):
    """The image, its header read and checked, no pixel decoded yet."""
    try:
        image = Image.open(io.BytesIO(data))
    except (UnidentifiedImageError, OSError, ValueError):
        raise NotAnImage("The upload is not an image; send a JPEG, PNG or WebP photo.") from None
    if image.format not in ACCEPTED_FORMATS:
        raise NotAnImage(f"{image.format} images are not accepted; send a JPEG, PNG or WebP photo.")
    width, height = image.size
    if max(width, height) > MAX_ASPECT_RATIO * max(min(width, height), 1):
        raise ApiError(f"The image is {width}x{height} pixels; a photo's longer side may be at most "
                       f"{MAX_ASPECT_RATIO} times its shorter side.", code="bad_aspect_ratio", status=422)
    if width * height > max_pixels:
        raise TooLarge(f"The image has {width}x{height} pixels; the limit is {max_pixels} pixels.",
                       code="too_many_pixels")
    return image


def _upright(image):
    try:
        return ImageOps.exif_transpose(image)
    except Exception:  # a malformed EXIF block only loses the orientation hint
        return image


def _to_rgb(image):
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "F"):
        wide = np.asarray(image, dtype=np.float64)
        top = wide.max() or 1.0
        image = Image.fromarray((wide * (255.0 / max(top, 255.0))).astype(np.uint8))
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(white, rgba)
    return np.ascontiguousarray(np.asarray(image.convert("RGB"), dtype=np.uint8))


def resized(pixels, scale):
    if scale == 1.0:
        return pixels
    height, width = pixels.shape[:2]
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return np.asarray(Image.fromarray(pixels).resize(size, Image.BILINEAR))
