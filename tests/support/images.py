"""Pictures to upload: what a phone sends, and what an attacker sends instead.

Every factory returns the file's bytes, made here with Pillow (or by hand where a real
encoder would refuse to write it), so no test reads a file from disk. Sizes are small
unless asked otherwise, so the unit tests stay quick; ``bench/upload.py`` asks for a
12-megapixel photo.
"""

from __future__ import annotations

import io
import os
import struct
import zipfile
import zlib

from PIL import Image, ImageCms, ImageDraw

try:
    import pillow_heif

    pillow_heif.register_heif_opener()
    HEIF = True
except ImportError:  # pragma: no cover
    HEIF = False

# Where the "phone" took the photo: the tests look for these in the output.
GPS_LATITUDE = (48.0, 51.0, 29.37)  # 48° 51' 29.37" N: Paris
GPS_LONGITUDE = (2.0, 17.0, 40.12)
CAMERA_MAKE = "Apple"
CAMERA_MODEL = "iPhone 15 Pro"
SECRET_COMMENT = b"owner: Jane Doe, 12 Rue Secrete"
XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
    b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
    b'xmlns:exif="http://ns.adobe.com/exif/1.0/" exif:GPSLatitude="48,51.4895N"/>'
    b"</rdf:RDF></x:xmpmeta>"
)

# Colours of the upright test scene's quadrants: a viewer who holds the photo the right
# way up sees red at the top left, green top right, blue bottom left, white bottom right.
RED, GREEN, BLUE, WHITE = (230, 20, 20), (20, 200, 20), (20, 20, 230), (250, 250, 250)

# The stored pixels for each EXIF orientation, from the upright scene: the inverse of
# what a viewer applies (EXIF 2.32, tag 0x0112).
_STORE_FOR_ORIENTATION = {
    1: (),
    2: (Image.Transpose.FLIP_LEFT_RIGHT,),
    3: (Image.Transpose.ROTATE_180,),
    4: (Image.Transpose.FLIP_TOP_BOTTOM,),
    5: (Image.Transpose.TRANSPOSE,),
    6: (Image.Transpose.ROTATE_90,),  # the viewer turns it 90° clockwise
    7: (Image.Transpose.TRANSVERSE,),
    8: (Image.Transpose.ROTATE_270,),  # the viewer turns it 90° counter-clockwise
}


def upright_scene(size: tuple[int, int] = (120, 80)) -> Image.Image:
    """A landscape scene whose four quadrants tell which way is up."""
    width, height = size
    img = Image.new("RGB", size, WHITE)
    draw = ImageDraw.Draw(img)
    draw.rectangle((0, 0, width // 2 - 1, height // 2 - 1), fill=RED)
    draw.rectangle((width // 2, 0, width - 1, height // 2 - 1), fill=GREEN)
    draw.rectangle((0, height // 2, width // 2 - 1, height - 1), fill=BLUE)
    return img


def quadrant_colours(img: Image.Image) -> tuple[tuple[int, ...], ...]:
    """The colour at the centre of each quadrant: top left, top right, bottom left,
    bottom right."""
    img = img.convert("RGB")
    width, height = img.size
    points = [(width // 4, height // 4), (3 * width // 4, height // 4)]
    points += [(width // 4, 3 * height // 4), (3 * width // 4, 3 * height // 4)]
    return tuple(img.getpixel(p) for p in points)


def phone_exif(orientation: int = 1) -> Image.Exif:
    """EXIF as a phone writes it: camera, time, orientation and where it was taken."""
    exif = Image.Exif()
    exif[0x010F] = CAMERA_MAKE
    exif[0x0110] = CAMERA_MODEL
    exif[0x0112] = orientation
    exif[0x0131] = "17.4.1"
    exif.get_ifd(0x8769)[0x9003] = "2026:05:04 17:42:11"  # DateTimeOriginal
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = GPS_LATITUDE
    gps[3] = "E"
    gps[4] = GPS_LONGITUDE
    gps[6] = 35.0  # altitude, metres
    return exif


def srgb_icc() -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def noisy(size: tuple[int, int], sigma: float = 60.0) -> Image.Image:
    """Camera-like noise over a gradient: hard for JPEG to compress, like a real photo."""
    channels = [Image.effect_noise(size, sigma) for _ in range(3)]
    gradient = Image.linear_gradient("L").resize(size)
    noise = Image.merge("RGB", channels)
    return Image.blend(noise, Image.merge("RGB", [gradient] * 3), 0.35)


def phone_jpeg(
    size: tuple[int, int] = (120, 80),
    *,
    orientation: int = 1,
    quality: int = 90,
    scene: Image.Image | None = None,
    extras: bool = True,
) -> bytes:
    """A JPEG as a phone saves it: the upright ``scene`` (quadrants by default) stored
    turned for ``orientation``, with EXIF (GPS, camera), and, with ``extras``, an ICC
    profile, XMP and a comment."""
    img = scene if scene is not None else upright_scene(size)
    for method in _STORE_FOR_ORIENTATION[orientation]:
        img = img.transpose(method)
    options: dict[str, object] = {"exif": phone_exif(orientation), "quality": quality}
    if extras:
        options.update(icc_profile=srgb_icc(), xmp=XMP, comment=SECRET_COMMENT)
    out = io.BytesIO()
    img.save(out, "JPEG", **options)
    return out.getvalue()


def big_phone_jpeg(target_bytes: int = 10_000_000, size: tuple[int, int] = (4032, 3024)) -> bytes:
    """A 12-megapixel noisy photo with GPS, at the JPEG quality that lands nearest
    ``target_bytes`` without going over (for the benchmark)."""
    scene = noisy(size)
    best = b""
    for quality in (97, 95, 93, 90, 87, 84, 80, 75, 70):
        data = phone_jpeg(size, quality=quality, scene=scene)
        if len(data) <= target_bytes:
            return data
        best = data
    return best


def _encoded(img: Image.Image, fmt: str, **options: object) -> bytes:
    out = io.BytesIO()
    img.save(out, fmt, **options)
    return out.getvalue()


def png_with_alpha(size: tuple[int, int] = (100, 60)) -> bytes:
    """A PNG sticker: opaque red on the left, fully transparent on the right, with a text
    chunk and EXIF that must not survive."""
    from PIL import PngImagePlugin

    img = Image.new("RGBA", size, (0, 0, 0, 0))
    ImageDraw.Draw(img).rectangle((0, 0, size[0] // 2 - 1, size[1] - 1), fill=(*RED, 255))
    text = PngImagePlugin.PngInfo()
    text.add_text("Comment", SECRET_COMMENT.decode())
    return _encoded(img, "PNG", pnginfo=text, exif=phone_exif())


def opaque_rgba_png(size: tuple[int, int] = (90, 60)) -> bytes:
    """RGBA with nothing transparent: a screenshot tool's habit."""
    return _encoded(upright_scene(size).convert("RGBA"), "PNG")


def palette_png(size: tuple[int, int] = (64, 64), *, transparent: bool = False) -> bytes:
    img = upright_scene(size).convert("P", palette=Image.Palette.ADAPTIVE, colors=8)
    if transparent:
        return _encoded(img, "PNG", transparency=img.getpixel((size[0] - 1, size[1] - 1)))
    return _encoded(img, "PNG")


def grey_png(size: tuple[int, int] = (64, 48), *, bits16: bool = False) -> bytes:
    img = Image.linear_gradient("L").resize(size)
    if bits16:
        img = img.point(lambda v: v * 256, mode="I").convert("I;16")
    return _encoded(img, "PNG")


def cmyk_jpeg(size: tuple[int, int] = (80, 60)) -> bytes:
    return _encoded(upright_scene(size).convert("CMYK"), "JPEG", quality=90)


def webp(size: tuple[int, int] = (120, 80), *, orientation: int = 1, alpha: bool = False) -> bytes:
    img = upright_scene(size)
    for method in _STORE_FOR_ORIENTATION[orientation]:
        img = img.transpose(method)
    if alpha:
        img = img.convert("RGBA")
        img.putpixel((0, 0), (0, 0, 0, 0))
    return _encoded(img, "WEBP", quality=90, exif=phone_exif(orientation).tobytes())


def heic(size: tuple[int, int] = (120, 80), *, orientation: int = 1) -> bytes:
    """An iPhone's HEIC with EXIF GPS (needs pillow-heif)."""
    img = upright_scene(size)
    for method in _STORE_FOR_ORIENTATION[orientation]:
        img = img.transpose(method)
    return _encoded(img, "HEIF", quality=90, exif=phone_exif(orientation).tobytes())


def animated(fmt: str, size: tuple[int, int] = (40, 30)) -> bytes:
    """Three frames, red then green then blue (GIF, PNG as APNG, or WEBP)."""
    frames = [Image.new("RGB", size, colour) for colour in (RED, GREEN, BLUE)]
    return _encoded(frames[0], fmt, save_all=True, append_images=frames[1:], duration=100, loop=0)


def gif(size: tuple[int, int] = (40, 30)) -> bytes:
    return _encoded(upright_scene(size).convert("P"), "GIF")


def bmp(size: tuple[int, int] = (40, 30)) -> bytes:
    return _encoded(upright_scene(size), "BMP")


def tiff(size: tuple[int, int] = (40, 30)) -> bytes:
    return _encoded(upright_scene(size), "TIFF")


def avif(size: tuple[int, int] = (40, 30)) -> bytes:
    return _encoded(upright_scene(size), "AVIF")


def mpo(size: tuple[int, int] = (60, 40)) -> bytes:
    """A multi-picture JPEG (phones' portrait shots): the scene, then a second picture."""
    second = Image.new("RGB", size, (0, 0, 0))
    return _encoded(upright_scene(size), "MPO", save_all=True, append_images=[second])


SVG = (
    b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100">'
    b'<script>alert(document.cookie)</script><circle cx="50" cy="50" r="40"/></svg>'
)
HTML = b"<!DOCTYPE html><html><body><script>fetch('/settings')</script></body></html>"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

# Tails a polyglot carries after a valid image: each must be gone from what is stored.
PHP_PAYLOAD = b"<?php system($_GET['cmd']); ?>"
HTML_PAYLOAD = b"<html><script>alert('polyglot')</script></html>"


def zip_payload() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("shell.php", PHP_PAYLOAD)
    return out.getvalue()


def polyglot(base: bytes, tail: bytes) -> bytes:
    """A valid image with something else appended: viewers show the picture, an unzip
    or a PHP interpreter finds the tail."""
    return base + tail


def png_header_then_garbage() -> bytes:
    return b"\x89PNG\r\n\x1a\n" + os.urandom(2048)


def jpeg_header_then_html() -> bytes:
    return b"\xff\xd8\xff\xe0" + HTML


def truncated(data: bytes, keep: float = 0.5) -> bytes:
    return data[: int(len(data) * keep)]


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_bomb(width: int, height: int, *, real_data: bool = True) -> bytes:
    """A greyscale PNG of ``width`` × ``height`` zeros: a few dozen KB on disk, the
    pixel count times one byte once decoded. Without ``real_data`` the pixel stream is
    garbage, so only a reader that decodes pixels would ever notice."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    if real_data:
        squeeze = zlib.compressobj(9)
        row = b"\x00" * (width + 1)
        parts = [squeeze.compress(row) for _ in range(height)]
        parts.append(squeeze.flush())
        stream = b"".join(parts)
    else:
        stream = os.urandom(64)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", stream)
        + _png_chunk(b"IEND", b"")
    )


def jpeg_bomb_header(width: int = 60_000, height: int = 60_000) -> bytes:
    """A small JPEG whose frame header claims ``width`` × ``height``."""
    data = bytearray(phone_jpeg((16, 16), extras=False))
    for marker in (b"\xff\xc0", b"\xff\xc2"):
        at = data.find(marker)
        if at > 0:
            data[at + 5 : at + 9] = struct.pack(">HH", height, width)
            return bytes(data)
    raise AssertionError("no SOF marker")
