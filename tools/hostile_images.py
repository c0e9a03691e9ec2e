"""Hostile images from issue 9, built in memory: tiny files that decode to tens of millions of
pixels. Shared by the tests and bench/hostile.py."""
import io
import struct
import zlib


def _png_chunk(kind, body):
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def blank_png(width, height):
    """A valid 1-bit black PNG of any size, compressed row by row (1 x 50,000,000: 97 KB)."""
    row = b"\x00" * (1 + (width + 7) // 8)  # filter byte, then the packed pixels
    compressor = zlib.compressobj(9)
    rows_per_chunk = max(1, (1 << 20) // len(row))
    chunks, left = [], height
    while left:
        count = min(rows_per_chunk, left)
        chunks.append(compressor.compress(row * count))
        left -= count
    chunks.append(compressor.flush())
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header) + _png_chunk(b"IDAT", b"".join(chunks))
            + _png_chunk(b"IEND", b""))


def blank_webp(width, height):
    """A white lossy WebP (7000 x 7000: about 130 KB)."""
    from PIL import Image
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (255, 255, 255)).save(buffer, "WEBP", quality=50, method=0)
    return buffer.getvalue()


def issue_images():
    """name -> bytes of the three images the issue measured."""
    return {"png_1x50000000": blank_png(1, 50_000_000), "png_50000000x1": blank_png(50_000_000, 1),
            "webp_7000x7000_blank": blank_webp(7000, 7000)}
