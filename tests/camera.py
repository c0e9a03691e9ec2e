"""A fake camera for Chromium (--use-file-for-fake-video-capture): a .y4m video, which is a
one-line header, then per frame "FRAME\\n" and the raw I420 planes (Y, then U and V at half
width and height)."""
import io

from PIL import Image

SIZE = (640, 480)


def i420(photo_bytes, size=SIZE, background=(40, 40, 40)):
    """One frame: the photo letterboxed to ``size`` (``None``: the background alone)."""
    canvas = Image.new("RGB", size, background)
    if photo_bytes is not None:
        image = Image.open(io.BytesIO(photo_bytes)).convert("RGB")
        image.thumbnail(size)
        canvas.paste(image, ((size[0] - image.width) // 2, (size[1] - image.height) // 2))
    y, cb, cr = canvas.convert("YCbCr").split()
    half = (size[0] // 2, size[1] // 2)
    return y.tobytes() + cb.resize(half).tobytes() + cr.resize(half).tobytes()


def write_y4m(path, frames, size=SIZE, fps=10):
    """``frames``: I420 frames (bytes) in order; Chromium plays them at ``fps`` and loops."""
    with open(path, "wb") as out:
        out.write(f"YUV4MPEG2 W{size[0]} H{size[1]} F{fps}:1 Ip A1:1 C420jpeg\n".encode())
        for frame in frames:
            out.write(b"FRAME\n" + frame)
