"""Photos a visitor attaches: checked, decoded and re-encoded before anything keeps them.

No Flask here: the upload path calls ``process_image(raw, filename, max_bytes=...,
max_edge=..., max_pixels=...)`` and gets a ``ProcessedImage`` back, or an
``ImageRejected`` that carries the error kind, the HTTP status and one sentence for the
visitor. What comes out is made from pixels only, so nothing of the uploaded file but
its picture survives:

1. Size first: more than ``max_bytes`` is refused (413) before a byte is decoded.
2. The type comes from the bytes, never from the file name or the client's Content-Type:
   Pillow identifies the file, and only its JPEG, PNG, WebP and HEIF (HEIC, through
   pillow-heif) readers are even tried. Anything else — GIF, SVG, BMP, TIFF, AVIF, an
   HTML page named ``.jpg`` — is refused with 415 and the list of what is accepted.
3. Pixel count from the header, before any pixel data is decoded: more than
   ``max_pixels`` is a decompression bomb (400). Pillow's own bomb check
   (``DecompressionBombError``) is turned into the same refusal; the process-wide
   ``Image.MAX_IMAGE_PIXELS`` is left alone.
4. Full decode inside ``try``: a truncated or corrupt file is refused (400). A large JPEG
   is decoded at a reduced scale (``draft``: libjpeg's DCT scaling to 1/2, 1/4 or 1/8),
   never below the size it is scaled to, which keeps a 12-megapixel phone photo at a
   quarter of its full-size memory.
5. Scaled so the long edge is at most ``max_edge`` (Lanczos), turned upright by its EXIF
   (or XMP) orientation, converted to sRGB RGB (or RGBA when the picture really has
   transparent pixels): an embedded ICC profile is applied with LittleCMS and then
   dropped, CMYK/palette/grey/16-bit modes are converted.
6. Re-encoded as JPEG (quality 85, optimized, progressive) or, with transparency, PNG
   (optimized), with an empty ``info``: no EXIF (so no GPS), no XMP, no ICC profile, no
   comment, no text chunks. Bytes appended after the image (a polyglot's ZIP, HTML or PHP
   tail) are never read into the output.

An animated image (APNG, animated WebP, a multi-picture JPEG) keeps its first frame
only: that is the picture a viewer shows first, and refusing a phone's burst or
multi-picture JPEG would surprise the person sending it. Later frames are never decoded.
"""

from __future__ import annotations

import io
import math
import os
import unicodedata
from dataclasses import dataclass
from typing import ClassVar

from PIL import Image, ImageCms

try:  # HEIC/HEIF, the iPhone's default camera format; libheif ships in the wheel.
    import pillow_heif

    pillow_heif.register_heif_opener()
    HEIF_SUPPORTED = True
except ImportError:  # pragma: no cover - pinned in requirements.txt
    HEIF_SUPPORTED = False

THUMBNAIL_EDGE = 320
# A JPEG's header may claim this many times IMAGE_MAX_PIXELS: libjpeg decodes it at 1/2 to
# 1/8 scale, so a 48 or 100 MP phone photo costs no more memory than a small PNG.
JPEG_HEADER_FACTOR = 4
JPEG_QUALITY = 85
THUMBNAIL_QUALITY = 80
DEFAULT_FILENAME = "photo.jpg"
FILENAME_LIMIT = 255

# Pillow format name -> the MIME type a browser's accept= attribute knows it by.
_FORMATS: dict[str, tuple[str, ...]] = {
    "JPEG": ("image/jpeg",),
    "MPO": (),  # a JPEG with a second picture appended (phones' depth/portrait shots)
    "PNG": ("image/png",),
    "WEBP": ("image/webp",),
}
if HEIF_SUPPORTED:
    _FORMATS["HEIF"] = ("image/heic", "image/heif")

ACCEPTED_TYPES: tuple[str, ...] = tuple(t for types in _FORMATS.values() for t in types)
ACCEPTED_NAMES = "JPEG, PNG, WebP or HEIC" if HEIF_SUPPORTED else "JPEG, PNG or WebP"
_OPEN_FORMATS = tuple(f for f in _FORMATS if f != "MPO")  # MPO is found by the JPEG reader

# Signatures of the accepted formats: a file that starts like one but that Pillow cannot
# read is damaged (400); one that does not is another type of file altogether (415).
_HEIF_BRANDS = (b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1")

_ORIENTATION = 0x0112
_TRANSPOSE = {
    2: (Image.Transpose.FLIP_LEFT_RIGHT,),
    3: (Image.Transpose.ROTATE_180,),
    4: (Image.Transpose.FLIP_TOP_BOTTOM,),
    5: (Image.Transpose.TRANSPOSE,),
    6: (Image.Transpose.ROTATE_270,),
    7: (Image.Transpose.TRANSVERSE,),
    8: (Image.Transpose.ROTATE_90,),
}
_SRGB = ImageCms.createProfile("sRGB")


class ImageRejected(ValueError):
    """An upload that is not kept. ``kind`` names it for code, ``message`` for the
    visitor (one sentence naming the file), ``status`` for HTTP."""

    STATUS: ClassVar[dict[str, int]] = {"image_too_large": 413, "image_type": 415}

    def __init__(self, kind: str, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.status = status if status is not None else self.STATUS.get(kind, 400)


@dataclass(frozen=True)
class ProcessedImage:
    data: bytes  # the re-encoded image: what is stored and sent upstream
    content_type: str  # "image/jpeg", or "image/png" when the picture has transparency
    width: int
    height: int
    thumbnail: bytes  # long edge at most THUMBNAIL_EDGE
    thumbnail_type: str
    filename: str  # for display: no path, no control characters, at most 255 characters


# ----------------------------------------------------------------------------- names


def display_name(filename: str | None) -> str:
    """The uploaded name as a visitor may see it again: the last path part (either
    slash), Unicode-normalized, without control or invisible formatting characters
    (a right-to-left override can make ``gpj.exe`` read as ``exe.jpg``), trimmed to
    255 characters keeping the extension; ``photo.jpg`` when nothing is left."""
    name = unicodedata.normalize("NFC", filename or "")
    name = "".join(
        ch for ch in name if unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Zl", "Zp")
    )
    name = name.replace("\\", "/").rsplit("/", 1)[-1].strip()
    if name.strip(". ") == "":
        return DEFAULT_FILENAME
    if len(name) > FILENAME_LIMIT:
        stem, ext = os.path.splitext(name)
        if not 1 < len(ext) <= 16:
            stem, ext = name, ""
        name = stem[: FILENAME_LIMIT - len(ext)].rstrip() + ext
    return name


def _mb(size: int, *, up: bool = False) -> str:
    """Bytes as MB (2**20, like the limit's default 10 * 1024 * 1024), one decimal at
    most. A file's size is rounded up, so one byte over a 10 MB limit reads 10.1 MB."""
    tenths = size * 10 / 1_048_576
    tenths = math.ceil(tenths) if up else round(tenths)
    whole, rest = divmod(tenths, 10)
    return f"{whole}" if rest == 0 else f"{whole}.{rest}"


# ------------------------------------------------------------------------ processing


def process_image(
    raw: bytes, filename: str, *, max_bytes: int, max_edge: int, max_pixels: int
) -> ProcessedImage:
    """Check, decode and re-encode one uploaded picture (see the module's docstring).

    Raises ``ImageRejected`` with kind ``image_too_large`` (413), ``image_type`` (415),
    ``image_too_many_pixels`` or ``image_unreadable`` (400).
    """
    name = display_name(filename)
    if len(raw) > max_bytes:
        if len(raw) == max_bytes + 1:  # read with a cap of the limit + 1: size unknown
            sentence = f"{name} is larger than the {_mb(max_bytes)} MB limit."
        else:
            sentence = f"{name} is {_mb(len(raw), up=True)} MB; the limit is {_mb(max_bytes)} MB."
        raise ImageRejected("image_too_large", sentence)
    if not raw:
        raise ImageRejected("image_unreadable", f"{name} is empty.")
    img = _open(raw, name, max_pixels * JPEG_HEADER_FACTOR)
    picture = None
    try:
        width, height = img.size
        drafts = img.format in ("JPEG", "MPO") and img.mode in ("RGB", "L", "CMYK")
        # What is decoded at once is what costs memory: a JPEG is decoded at reduced scale
        # (below), so its header may claim up to JPEG_HEADER_FACTOR times the limit; any
        # other format is decoded whole.
        claimed = max_pixels * (JPEG_HEADER_FACTOR if drafts else 1)
        if width < 1 or height < 1 or width * height > claimed:
            raise ImageRejected(
                "image_too_many_pixels",
                f"{name} is {width:,} × {height:,} pixels; the limit is "
                f"{claimed / 1e6:g} megapixels"
                + (" for a JPEG." if drafts else " (a JPEG may have more)."),
            )
        target = _fit((width, height), max_edge)
        if drafts:
            # Let libjpeg decode at 1/2, 1/4 or 1/8 scale, never below the target size.
            img.draft(img.mode, target)
            if img.size[0] * img.size[1] > max_pixels:
                raise ImageRejected(
                    "image_too_many_pixels",
                    f"{name} is {width:,} × {height:,} pixels; the limit is "
                    f"{max_pixels / 1e6:g} megapixels.",
                )
        try:
            img.load()  # the first frame only; a later one is never decoded
        except (OSError, SyntaxError, ValueError, EOFError, Image.DecompressionBombError) as e:
            raise _unreadable(name) from e
        orientation = _orientation(img)
        icc = img.info.get("icc_profile")
        alpha = _has_transparency(img)
        picture = _resizable(img, alpha)
        if picture.size != target:
            picture = picture.resize(target, Image.Resampling.LANCZOS, reducing_gap=3.0)
    finally:
        if picture is not img:
            img.close()  # frees the decoded pixels as soon as the scaled copy exists
    # Colour conversion and turning upright work on the scaled picture: less to copy.
    picture = _to_srgb(picture, icc, alpha)
    for method in _TRANSPOSE.get(orientation, ()):
        picture = picture.transpose(method)
    picture.info = {}  # what the encoder might otherwise copy: EXIF, XMP, ICC, comments

    data, content_type = _encode(picture, JPEG_QUALITY)
    thumb = picture
    if max(picture.size) > THUMBNAIL_EDGE:
        thumb = picture.resize(
            _fit(picture.size, THUMBNAIL_EDGE), Image.Resampling.LANCZOS, reducing_gap=2.0
        )
    thumbnail, thumbnail_type = _encode(thumb, THUMBNAIL_QUALITY)
    return ProcessedImage(
        data=data,
        content_type=content_type,
        width=picture.width,
        height=picture.height,
        thumbnail=thumbnail,
        thumbnail_type=thumbnail_type,
        filename=name,
    )


def _open(raw: bytes, name: str, max_pixels: int) -> Image.Image:
    """Identify the file by its bytes with the accepted formats' readers only. Reads
    the header, not the pixels."""
    try:
        img = Image.open(io.BytesIO(raw), formats=_OPEN_FORMATS)
    except Image.DecompressionBombError as e:
        raise ImageRejected(
            "image_too_many_pixels",
            f"{name} has more pixels than the limit of {max_pixels / 1e6:g} megapixels.",
        ) from e
    except (Image.UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as e:
        if _looks_accepted(raw):
            raise _unreadable(name) from e
        raise _wrong_type(name, raw) from e
    if img.format not in _FORMATS:  # pragma: no cover - formats= already holds this
        img.close()
        raise _wrong_type(name, raw)
    return img


def _looks_accepted(raw: bytes) -> bool:
    head = raw[:32]
    return (
        head.startswith(b"\xff\xd8\xff")
        or head.startswith(b"\x89PNG\r\n\x1a\n")
        or (head[:4] == b"RIFF" and head[8:12] == b"WEBP")
        or (HEIF_SUPPORTED and head[4:8] == b"ftyp" and head[8:12] in _HEIF_BRANDS)
    )


_OTHER_TYPES = (  # named in the refusal, so the visitor knows what they sent
    (b"GIF8", "a GIF"),
    (b"BM", "a BMP"),
    (b"II*\x00", "a TIFF"),
    (b"MM\x00*", "a TIFF"),
    (b"%PDF", "a PDF"),
    (b"PK\x03\x04", "a ZIP"),
)


def _kind_of(raw: bytes) -> str | None:
    head = raw[:512].lstrip()
    for magic, kind in _OTHER_TYPES:
        if head.startswith(magic):
            return kind
    if raw[4:8] == b"ftyp" and raw[8:12] in (b"avif", b"avis"):
        return "an AVIF"
    lowered = head.lower()
    if b"<svg" in lowered:
        return "an SVG"
    if lowered.startswith((b"<!doctype html", b"<html", b"<?php", b"<script")):
        return "an HTML or script"
    return None


def _wrong_type(name: str, raw: bytes) -> ImageRejected:
    kind = _kind_of(raw)
    if kind:
        sentence = f"{name} is {kind} file; send a {ACCEPTED_NAMES} picture instead."
    else:
        sentence = f"{name} is not a {ACCEPTED_NAMES} picture."
    return ImageRejected("image_type", sentence)


def _unreadable(name: str) -> ImageRejected:
    return ImageRejected(
        "image_unreadable", f"{name} could not be read; it may be damaged or incomplete."
    )


def _fit(size: tuple[int, int], edge: int) -> tuple[int, int]:
    """The size with the long edge at most ``edge``, aspect kept, never enlarged."""
    width, height = size
    scale = edge / max(width, height)
    if scale >= 1:
        return width, height
    return max(1, round(width * scale)), max(1, round(height * scale))


def _orientation(img: Image.Image) -> int:
    """EXIF orientation (Pillow falls back on XMP's tiff:Orientation). pillow-heif
    applies HEIF's own transforms while decoding and reports 1."""
    try:
        value = img.getexif().get(_ORIENTATION, 1)
    except Exception:  # noqa: BLE001 - a broken EXIF block only loses the rotation
        return 1
    return value if isinstance(value, int) and value in _TRANSPOSE else 1


def _has_transparency(img: Image.Image) -> bool:
    return img.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in img.info


def _resizable(img: Image.Image, alpha: bool) -> Image.Image:
    """Modes Lanczos cannot scale (palette, 1-bit) or that need scaling down to 8 bits
    (16-bit and float grey) become RGB(A) or L first; the others are scaled as they are."""
    if img.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        return img.convert("I").point(lambda v: v * (1 / 256)).convert("L")
    if img.mode in ("P", "PA", "1"):
        return img.convert("RGBA" if alpha else "RGB")
    return img


def _is_srgb(profile: ImageCms.ImageCmsProfile) -> bool:
    description = ImageCms.getProfileDescription(profile) or ""
    return description.strip().lower().startswith("srgb")


def _to_srgb(img: Image.Image, icc: bytes | None, alpha: bool) -> Image.Image:
    """RGB or RGBA in sRGB. The embedded ICC profile (a phone's Display P3, a print
    shop's CMYK) is applied, then the output carries none: sRGB is what a browser and a
    model assume without one. A profile LittleCMS cannot read is dropped."""
    mode = "RGBA" if alpha else "RGB"
    if alpha and img.mode != "RGBA":
        img = img.convert("RGBA")
    if icc and img.mode in ("RGB", "RGBA", "CMYK", "L"):
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            if img.mode != "CMYK" and _is_srgb(source):
                converted = None  # already what the output means without a profile
            else:
                converted = ImageCms.profileToProfile(
                    img, source, _SRGB, outputMode=mode if img.mode != "L" else "RGB"
                )
        except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
            converted = None
        if converted is not None:
            img = converted
    if img.mode != mode:
        img = img.convert(mode)
    if mode == "RGBA" and img.getchannel("A").getextrema()[0] == 255:
        img = img.convert("RGB")  # an alpha channel with nothing transparent: a JPEG
    return img


def _encode(img: Image.Image, quality: int) -> tuple[bytes, str]:
    out = io.BytesIO()
    if img.mode == "RGBA":
        img.save(out, "PNG", optimize=True)
        return out.getvalue(), "image/png"
    img.save(out, "JPEG", quality=quality, optimize=True, progressive=True)
    return out.getvalue(), "image/jpeg"


# ---------------------------------------------------------------------------- tokens

ANTHROPIC_MAX_EDGE = 2576  # the largest native resolution Claude documents (Opus 4.7)
OPENAI_BOX = 2048
OPENAI_SHORT_SIDE = 768


def anthropic_image_tokens(width: int, height: int) -> int:
    """Claude: ``width * height / 750`` (Anthropic, "Vision" guide: 200×200 ≈ 54,
    1000×1000 ≈ 1334, 1092×1092 ≈ 1590), and the newer statement of the same rule in
    28×28-pixel patches, ``ceil(w/28) * ceil(h/28)``; the larger of the two. An image
    past the model's native resolution is scaled down first; we use the largest one
    documented (2576 px long edge) so no Claude model is under-counted."""
    width, height = _fit((width, height), ANTHROPIC_MAX_EDGE)
    area = math.ceil(width * height / 750)
    patches = math.ceil(width / 28) * math.ceil(height / 28)
    return max(area, patches)


def openai_image_tokens(width: int, height: int) -> int:
    """OpenAI ``detail: high`` (the "Images and vision" guide, GPT-4o family): scale to
    fit a 2048×2048 square, then so the short side is 768 px (only ever down), count
    512-px tiles; 170 tokens a tile plus 85. Worked examples: 1024×1024 → 765,
    2048×4096 → 1105."""
    width, height = _fit((width, height), OPENAI_BOX)
    short = min(width, height)
    if short > OPENAI_SHORT_SIDE:
        scale = OPENAI_SHORT_SIDE / short
        width, height = round(width * scale), round(height * scale)
    tiles = math.ceil(width / 512) * math.ceil(height / 512)
    return 85 + 170 * tiles


def image_tokens(width: int, height: int) -> int:
    """A conservative prompt-token cost of one image, as vision models bill it: the
    larger of Anthropic's (area / 750, or 28-px patches) and OpenAI's high-detail tile
    count, so the context budget never counts an image for less than a provider does.
    OpenRouter passes images on to the provider as ``image_url`` parts and bills the
    provider's count. Models that bill less (Gemini's 258 per tile, low detail's 85)
    are over-counted, which only leaves room to spare."""
    if width < 1 or height < 1:
        return 0
    return max(anthropic_image_tokens(width, height), openai_image_tokens(width, height))


__all__ = [
    "ACCEPTED_TYPES",
    "HEIF_SUPPORTED",
    "THUMBNAIL_EDGE",
    "ImageRejected",
    "ProcessedImage",
    "display_name",
    "image_tokens",
    "process_image",
]
