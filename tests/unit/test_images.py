"""Photos: what is kept of an upload, and what is refused, as the visitor would notice.

The pictures come from tests/support/images.py. What is stored is read back with Pillow
and searched byte for byte: no GPS, no camera, no comment, no appended payload.
"""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageFile

import images
from images import (
    ACCEPTED_TYPES,
    THUMBNAIL_EDGE,
    ImageRejected,
    ProcessedImage,
    image_tokens,
    process_image,
)
from tests.support import images as make

MB = 1024 * 1024
LIMITS = {"max_bytes": 10 * MB, "max_edge": 1568, "max_pixels": 50_000_000}

needs_heif = pytest.mark.skipif(not images.HEIF_SUPPORTED, reason="pillow-heif not installed")


def process(raw: bytes, filename: str = "photo.jpg", **limits: int) -> ProcessedImage:
    return process_image(raw, filename, **{**LIMITS, **limits})


def reject(raw: bytes, filename: str = "photo.jpg", **limits: int) -> ImageRejected:
    with pytest.raises(ImageRejected) as caught:
        process(raw, filename, **limits)
    return caught.value


def read_back(data: bytes) -> Image.Image:
    img = Image.open(io.BytesIO(data))
    img.load()
    return img


def close(colour: tuple[int, ...], expected: tuple[int, ...], tolerance: int = 24) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(colour, expected, strict=False))


def looks_upright(img: Image.Image) -> bool:
    expected = (make.RED, make.GREEN, make.BLUE, make.WHITE)
    return all(close(c, e) for c, e in zip(make.quadrant_colours(img), expected, strict=True))


# Markers of what a phone or an attacker put in the file; none may reach storage.
LEAKS = (
    b"Exif",
    b"GPS",
    b"Apple",
    b"iPhone",
    b"2026:05:04",
    b"xmpmeta",
    b"adobe:ns:meta",
    b"Jane Doe",
    b"ICC_PROFILE",
    b"<?php",
    b"<script",
    b"<html",
    b"shell.php",
    b"PK\x03\x04",
)


def assert_clean(data: bytes) -> None:
    img = read_back(data)
    assert len(img.getexif()) == 0
    for key in ("exif", "xmp", "XML:com.adobe.xmp", "icc_profile", "comment", "Comment"):
        assert key not in img.info, key
    found = [marker for marker in LEAKS if marker in data]
    assert found == []


# ------------------------------------------------------------------ accepted types

ACCEPTED = {
    "jpeg": (make.phone_jpeg, "image/jpeg"),
    "png": (lambda: make.palette_png((120, 80)), "image/jpeg"),
    "webp": (make.webp, "image/jpeg"),
    "mpo": (lambda: make.mpo((120, 80)), "image/jpeg"),
    "heic": (make.heic, "image/jpeg"),
}


@pytest.mark.parametrize("kind", ACCEPTED)
def test_each_accepted_type_round_trips_upright_and_clean(kind):
    if kind == "heic" and not images.HEIF_SUPPORTED:
        pytest.skip("pillow-heif not installed")
    factory, content_type = ACCEPTED[kind]
    result = process(factory(), f"dash.{kind}")
    assert result.content_type == content_type
    assert (result.width, result.height) == (120, 80)
    img = read_back(result.data)
    assert img.format == "JPEG"
    assert img.size == (120, 80)
    assert looks_upright(img)
    assert result.filename == f"dash.{kind}"
    assert_clean(result.data)


def test_accepted_types_for_the_file_picker():
    assert set(ACCEPTED_TYPES) >= {"image/jpeg", "image/png", "image/webp"}
    assert ("image/heic" in ACCEPTED_TYPES) == images.HEIF_SUPPORTED
    assert not {"image/gif", "image/svg+xml", "image/bmp", "image/tiff"} & set(ACCEPTED_TYPES)


@needs_heif
def test_heic_is_really_decoded_here():
    """pillow-heif's libheif decodes on this machine: the iPhone default works."""
    raw = make.heic((200, 150))
    assert raw[4:12] == b"ftypheic"
    result = process(raw, "IMG_0042.HEIC")
    assert (result.width, result.height) == (200, 150)
    assert_clean(result.data)


# ------------------------------------------------------------------- orientation


@pytest.mark.parametrize("orientation", range(1, 9))
def test_jpeg_exif_orientation_is_applied(orientation):
    result = process(make.phone_jpeg((120, 80), orientation=orientation))
    img = read_back(result.data)
    assert img.size == (120, 80)  # stored sideways for 5-8, shown landscape
    assert looks_upright(img), make.quadrant_colours(img)
    assert img.getexif().get(0x0112) is None  # nothing left to rotate it twice


@pytest.mark.parametrize("orientation", [3, 6, 8])
def test_webp_exif_orientation_is_applied(orientation):
    img = read_back(process(make.webp(orientation=orientation)).data)
    assert img.size == (120, 80)
    assert looks_upright(img)


@needs_heif
@pytest.mark.parametrize("orientation", [6, 8])
def test_heic_orientation_is_applied_once(orientation):
    img = read_back(process(make.heic(orientation=orientation)).data)
    assert img.size == (120, 80)
    assert looks_upright(img)


def test_a_sideways_phone_photo_is_scaled_by_its_long_edge():
    result = process(make.phone_jpeg((400, 300), orientation=6), max_edge=200)
    assert (result.width, result.height) == (200, 150)
    assert looks_upright(read_back(result.data))


# ------------------------------------------------------------------ metadata gone


def test_phone_exif_gps_xmp_icc_and_comment_are_gone():
    raw = make.phone_jpeg((300, 200))
    source = Image.open(io.BytesIO(raw))
    # The fixture is what a phone sends: all of it is there before.
    assert source.getexif().get_ifd(0x8825)[2] == pytest.approx(make.GPS_LATITUDE)
    assert {"exif", "icc_profile", "xmp", "comment"} <= set(source.info)
    assert b"GPS" in raw or b"\x88\x25" in raw
    result = process(raw)
    assert_clean(result.data)
    assert_clean(result.thumbnail)


@pytest.mark.parametrize(
    "factory",
    [make.png_with_alpha, make.webp, lambda: make.webp(alpha=True)],
    ids=["png", "webp", "webp-alpha"],
)
def test_other_formats_lose_their_metadata_too(factory):
    result = process(factory())
    assert_clean(result.data)
    assert_clean(result.thumbnail)


@needs_heif
def test_heic_gps_is_gone():
    raw = make.heic()
    assert Image.open(io.BytesIO(raw)).getexif().get_ifd(0x8825)  # GPS in, before
    assert_clean(process(raw).data)


# ----------------------------------------------------------------- colour and alpha


def test_transparency_is_kept_as_png():
    result = process(make.png_with_alpha((100, 60)), "sticker.png")
    assert result.content_type == "image/png"
    img = read_back(result.data)
    assert img.format == "PNG" and img.mode == "RGBA"
    assert img.getpixel((10, 10))[3] == 255
    assert img.getpixel((90, 10))[3] == 0
    assert result.thumbnail_type == "image/png"


@pytest.mark.parametrize(
    ("factory", "content_type"),
    [
        (make.opaque_rgba_png, "image/jpeg"),  # alpha channel, nothing transparent
        (lambda: make.palette_png(transparent=True), "image/png"),
        (make.palette_png, "image/jpeg"),
        (make.grey_png, "image/jpeg"),
        (lambda: make.grey_png(bits16=True), "image/jpeg"),
        (make.cmyk_jpeg, "image/jpeg"),
        (lambda: make.webp(alpha=True), "image/png"),
    ],
    ids=["opaque-rgba", "palette-transparent", "palette", "grey", "grey-16-bit", "cmyk", "webp"],
)
def test_every_mode_becomes_srgb_rgb_or_rgba(factory, content_type):
    result = process(factory())
    img = read_back(result.data)
    assert result.content_type == content_type
    assert img.mode == ("RGBA" if content_type == "image/png" else "RGB")


def test_cmyk_colours_survive_the_conversion():
    img = read_back(process(make.cmyk_jpeg((80, 60))).data)
    assert looks_upright(img)


def test_an_embedded_profile_is_applied_then_dropped(monkeypatch):
    """A phone's Display P3 goes through LittleCMS to sRGB. No such profile ships with
    Pillow, so the sRGB one stands in, taken for another: colours must come out the same."""
    monkeypatch.setattr(images, "_is_srgb", lambda profile: False)
    applied = []
    real = images.ImageCms.profileToProfile
    monkeypatch.setattr(
        images.ImageCms,
        "profileToProfile",
        lambda *a, **k: applied.append(a[0].size) or real(*a, **k),
    )
    for raw in (make.phone_jpeg((120, 80)), make.cmyk_jpeg((120, 80))):
        out = io.BytesIO()
        Image.open(io.BytesIO(raw)).save(out, "JPEG", icc_profile=make.srgb_icc())
        result = process(out.getvalue())
        assert looks_upright(read_back(result.data))
        assert_clean(result.data)
    assert applied == [(120, 80), (120, 80)]


def test_a_broken_icc_profile_is_dropped_not_fatal():
    out = io.BytesIO()
    make.upright_scene().save(out, "JPEG", icc_profile=b"not a profile" * 10)
    result = process(out.getvalue())
    assert looks_upright(read_back(result.data))
    assert_clean(result.data)


# --------------------------------------------------------------- size and scaling


@pytest.mark.parametrize(
    ("size", "max_edge", "expected"),
    [
        ((4032, 3024), 1568, (1568, 1176)),
        ((3024, 4032), 1568, (1176, 1568)),
        ((1000, 500), 1568, (1000, 500)),  # never enlarged
        ((2000, 20), 1000, (1000, 10)),
        ((3000, 1), 1000, (1000, 1)),  # a sliver keeps at least a pixel
    ],
)
def test_long_edge_is_scaled_to_the_limit(size, max_edge, expected):
    scene = make.upright_scene(size) if min(size) > 2 else Image.new("RGB", size, make.RED)
    result = process(make.phone_jpeg(scene=scene, extras=False), max_edge=max_edge)
    assert (result.width, result.height) == expected
    assert read_back(result.data).size == expected
    if min(size) > 2:
        assert looks_upright(read_back(result.data))


@pytest.mark.parametrize(
    ("size", "expected"),
    [((1568, 1176), (320, 240)), ((100, 400), (80, 320)), ((200, 100), (200, 100))],
)
def test_thumbnails_fit_320_pixels(size, expected):
    result = process(make.phone_jpeg(size))
    thumb = read_back(result.thumbnail)
    assert thumb.size == expected
    assert max(thumb.size) <= THUMBNAIL_EDGE
    assert result.thumbnail_type == "image/jpeg"


def test_a_large_jpeg_is_decoded_at_reduced_scale(monkeypatch):
    """draft(): libjpeg decodes 4000 px at half scale when 1568 px is all we keep."""
    loaded: list[tuple[int, int]] = []
    real_load = ImageFile.ImageFile.load

    def spy(self):
        result = real_load(self)
        loaded.append(self.size)
        return result

    monkeypatch.setattr(ImageFile.ImageFile, "load", spy)
    result = process(make.phone_jpeg((4000, 3000), quality=70))
    assert loaded and loaded[0] == (2000, 1500)
    assert (result.width, result.height) == (1568, 1176)


def test_output_is_a_progressive_quality_jpeg():
    result = process(make.phone_jpeg((800, 600), quality=98))
    img = read_back(result.data)
    assert img.info.get("progressive") or img.info.get("progression")
    assert len(result.data) < len(make.phone_jpeg((800, 600), quality=98))


# --------------------------------------------------------------------- refusals


def test_too_large_is_refused_before_decoding(monkeypatch):
    opened = []
    monkeypatch.setattr(Image, "open", lambda *a, **k: opened.append(a))
    raw = b"\xff\xd8\xff" + b"\0" * (12 * MB + 400 * 1024)
    error = reject(raw, "tire.jpg")
    assert (error.kind, error.status) == ("image_too_large", 413)
    assert error.message == "tire.jpg is 12.4 MB; the limit is 10 MB."
    assert opened == []


def test_just_over_reads_as_over():
    error = reject(b"\0" * (10 * MB + 2), "a.jpg")
    assert error.message == "a.jpg is 10.1 MB; the limit is 10 MB."
    # The upload path reads at most the limit + 1 bytes: the real size is not known.
    error = reject(b"\0" * (10 * MB + 1), "b.jpg")
    assert error.message == "b.jpg is larger than the 10 MB limit."
    assert error.status == 413
    assert process(make.phone_jpeg(), max_bytes=len(make.phone_jpeg())).width == 120


def test_empty_file_is_refused():
    error = reject(b"", "photo.jpg")
    assert (error.kind, error.status) == ("image_unreadable", 400)
    assert "photo.jpg" in error.message


@pytest.mark.parametrize(
    ("factory", "named"),
    [
        (make.gif, "a GIF"),
        (lambda: make.animated("GIF"), "a GIF"),
        (lambda: make.SVG, "an SVG"),
        (lambda: make.HTML, "an HTML or script"),
        (make.bmp, "a BMP"),
        (make.tiff, "a TIFF"),
        (lambda: make.PDF, "a PDF"),
        (make.zip_payload, "a ZIP"),
        (lambda: make.PHP_PAYLOAD, "an HTML or script"),
        (lambda: b"just some text that claims to be a photo", None),
    ],
    ids=["gif", "animated-gif", "svg", "html", "bmp", "tiff", "pdf", "zip", "php", "text"],
)
def test_other_types_are_refused_with_415_whatever_the_name(factory, named):
    error = reject(factory(), "warning-light.jpg")
    assert (error.kind, error.status) == ("image_type", 415)
    assert error.message.startswith("warning-light.jpg is ")
    assert "JPEG, PNG, WebP" in error.message
    if named:
        assert named in error.message


def test_avif_is_not_accepted():
    if "AVIF" not in Image.SAVE:
        pytest.skip("this Pillow cannot write AVIF")
    error = reject(make.avif(), "photo.avif")
    assert (error.kind, error.status) == ("image_type", 415)
    assert "an AVIF" in error.message


@pytest.mark.parametrize(
    "raw",
    [
        make.png_header_then_garbage(),
        make.jpeg_header_then_html(),
        make.truncated(make.phone_jpeg((400, 300), extras=False)),
        make.truncated(make.phone_jpeg((400, 300), extras=False), keep=0.05),
        make.truncated(make.png_with_alpha((300, 200)), keep=0.6),
        make.truncated(make.webp((300, 200)), keep=0.6),
    ],
    ids=["png-garbage", "jpeg-html", "jpeg-half", "jpeg-headers-only", "png-cut", "webp-cut"],
)
def test_damaged_files_are_unreadable(raw):
    error = reject(raw, "leak.png")
    assert (error.kind, error.status) == ("image_unreadable", 400)
    assert error.message == "leak.png could not be read; it may be damaged or incomplete."


@needs_heif
def test_truncated_heic_is_unreadable():
    error = reject(make.truncated(make.heic((300, 200)), keep=0.6))
    assert error.kind in ("image_unreadable",)


# ------------------------------------------------------------------ bombs


def test_decompression_bomb_is_refused_before_its_pixels_are_decoded(monkeypatch):
    raw = make.png_bomb(8000, 8000)  # 64 megapixels of zeros in ~60 KB
    assert len(raw) < 100_000
    loads = []
    monkeypatch.setattr(ImageFile.ImageFile, "load", lambda self: loads.append(self))
    error = reject(raw, "bomb.png")
    assert (error.kind, error.status) == ("image_too_many_pixels", 400)
    assert error.message == (
        "bomb.png is 8,000 × 8,000 pixels; the limit is 50 megapixels (a JPEG may have more)."
    )
    assert loads == []


def test_the_pixel_limit_is_read_from_the_header_alone():
    """The pixel stream is random bytes: only the header was read, or this would be
    'unreadable'."""
    error = reject(make.png_bomb(5000, 5000, real_data=False), max_pixels=20_000_000)
    assert error.kind == "image_too_many_pixels"
    assert "20 megapixels" in error.message


def test_pillows_own_bomb_error_becomes_a_refusal():
    """A header claiming 60,000 × 60,000 trips Pillow's check inside Image.open; it is
    turned into the same refusal, even with our own limit raised out of the way."""
    before = Image.MAX_IMAGE_PIXELS
    error = reject(make.jpeg_bomb_header(60_000, 60_000), max_pixels=10**12)
    assert (error.kind, error.status) == ("image_too_many_pixels", 400)
    assert before == Image.MAX_IMAGE_PIXELS  # the process-wide limit is untouched


def test_the_limit_is_inclusive():
    raw = make.phone_jpeg((100, 50), extras=False)
    assert process(raw, max_pixels=5000).width == 100
    assert reject(raw, max_pixels=4999).kind == "image_too_many_pixels"


# ------------------------------------------------------------------ polyglots


@pytest.mark.parametrize(
    "tail",
    [make.zip_payload(), make.HTML_PAYLOAD, make.PHP_PAYLOAD],
    ids=["jpeg+zip", "jpeg+html", "jpeg+php"],
)
def test_a_polyglot_jpeg_is_stored_as_pixels_only(tail):
    raw = make.polyglot(make.phone_jpeg((200, 150)), tail)
    assert tail in raw
    result = process(raw, "polyglot.jpg")
    assert tail not in result.data
    assert tail not in result.thumbnail
    assert_clean(result.data)
    assert looks_upright(read_back(result.data))


def test_a_polyglot_png_is_stored_as_pixels_only():
    raw = make.polyglot(make.png_with_alpha(), make.zip_payload())
    result = process(raw)
    assert_clean(result.data)


def test_a_payload_in_a_jpeg_comment_is_gone():
    out = io.BytesIO()
    make.upright_scene().save(out, "JPEG", comment=make.PHP_PAYLOAD + make.HTML_PAYLOAD)
    assert make.PHP_PAYLOAD in out.getvalue()
    assert_clean(process(out.getvalue()).data)


# ------------------------------------------------------------------ animation


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_animated_images_keep_their_first_frame(fmt):
    raw = make.animated(fmt)
    assert Image.open(io.BytesIO(raw)).n_frames == 3
    img = read_back(process(raw).data)
    assert getattr(img, "n_frames", 1) == 1
    assert close(img.getpixel((5, 5)), make.RED)


def test_a_multi_picture_jpeg_keeps_the_first_picture():
    raw = make.mpo()
    assert Image.open(io.BytesIO(raw)).format == "MPO"
    result = process(raw)
    assert b"MPF" not in result.data
    assert looks_upright(read_back(result.data))


# ------------------------------------------------------------------ file names


@pytest.mark.parametrize(
    ("uploaded", "shown"),
    [
        ("tire.jpg", "tire.jpg"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\x\\y.jpg", "y.jpg"),
        ("/var/www/html/shell.php.jpg", "shell.php.jpg"),
        ("dash\x00board\r\n.jpg", "dashboard.jpg"),
        ("\x1b[31mred\x1b[0m.png", "[31mred[0m.png"),
        ("invoice\u202egpj.exe", "invoicegpj.exe"),  # no right-to-left override
        ("Cafe\u0301.jpg", "Café.jpg"),
        ("  leak under car.HEIC  ", "leak under car.HEIC"),
        ("", "photo.jpg"),
        ("..", "photo.jpg"),
        ("uploads/", "photo.jpg"),
        ("\x00\x01", "photo.jpg"),
        (None, "photo.jpg"),
    ],
)
def test_file_names_are_made_safe_to_show(uploaded, shown):
    assert images.display_name(uploaded) == shown
    if uploaded is not None:
        assert process(make.phone_jpeg(), uploaded).filename == shown


def test_a_thousand_character_name_is_cut_keeping_its_extension():
    name = images.display_name("a" * 1000 + ".jpeg")
    assert len(name) == 255
    assert name.endswith("aaa.jpeg")
    assert len(images.display_name("b" * 1000)) == 255
    assert len(images.display_name("é" * 1000 + ".jpg")) == 255


def test_messages_name_the_sanitized_file():
    error = reject(make.gif(), "../../secret/<b>x.gif")
    assert error.message.startswith("<b>x.gif is a GIF file")  # the page escapes it


# ------------------------------------------------------------------ token cost


@pytest.mark.parametrize(
    ("size", "tokens"),
    [
        # Anthropic's vision guide: 200x200 ~54, 1000x1000 ~1334, 1092x1092 ~1590.
        ((200, 200), 54),
        ((1000, 1000), 1334),
        ((1092, 1092), 1590),
    ],
)
def test_anthropic_area_examples(size, tokens):
    # 200x200: 8 x 8 patches of 28 px (64) are the larger of Anthropic's two statements.
    assert images.anthropic_image_tokens(*size) >= tokens
    assert images.anthropic_image_tokens(*size) <= tokens + 70  # the patch count, at most


@pytest.mark.parametrize(
    ("size", "tokens"),
    [
        # OpenAI's vision guide, detail: high.
        ((1024, 1024), 765),  # -> 768x768, 4 tiles
        ((2048, 4096), 1105),  # -> 1024x2048 -> 768x1536, 6 tiles
        ((512, 512), 255),  # one tile
        ((4096, 8192), 1105),  # the same shape as 2048x4096
    ],
)
def test_openai_high_detail_examples(size, tokens):
    assert images.openai_image_tokens(*size) == tokens


@pytest.mark.parametrize(
    ("size", "tokens"),
    [
        ((1568, 1176), 2459),  # a phone photo as stored: Claude's area rule is the larger
        ((1176, 1568), 2459),
        ((1024, 1024), 1399),
        ((200, 200), 255),  # OpenAI's 85 + one tile is the floor
        ((1, 1), 255),
        ((0, 10), 0),
    ],
)
def test_image_tokens_takes_the_larger_estimate(size, tokens):
    assert image_tokens(*size) == tokens
    if min(size) > 0:
        assert image_tokens(*size) >= images.anthropic_image_tokens(*size)
        assert image_tokens(*size) >= images.openai_image_tokens(*size)


def test_image_tokens_of_what_process_image_stores():
    result = process(make.phone_jpeg((4032, 3024), quality=60, extras=False))
    assert image_tokens(result.width, result.height) == 2459


def test_a_large_phone_jpeg_is_taken_because_it_decodes_at_reduced_scale():
    """A JPEG's header may claim more than the limit: libjpeg decodes it at 1/2 to 1/8."""
    out = io.BytesIO()
    Image.new("RGB", (8000, 6000), (120, 80, 40)).save(out, "JPEG", quality=70)
    limits = {**LIMITS, "max_pixels": 25_000_000}
    picture = process_image(out.getvalue(), "48mp.jpg", **limits)
    assert (picture.width, picture.height) == (1568, 1176)
    png = io.BytesIO()
    Image.new("RGB", (8000, 6000)).save(png, "PNG")
    with pytest.raises(ImageRejected) as refused:
        process_image(png.getvalue(), "48mp.png", **limits)
    assert "limit is 25 megapixels (a JPEG may have more)" in refused.value.message
