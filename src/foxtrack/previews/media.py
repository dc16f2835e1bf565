"""Picture variants with Pillow, as Zou builds them: original, thumbnails (150x100, cropped to fill),
thumbnails-square (100x100), previews (1200 px wide). Blocking: call through ``asyncio.to_thread``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

PICTURE_EXTENSIONS = frozenset({"png", "jpg", "jpeg", "jpe"})
MOVIE_EXTENSIONS = frozenset({"mp4", "mov", "avi", "m4v", "mkv", "webm", "wmv"})
THUMBNAIL = (150, 100)
SQUARE = (100, 100)
PREVIEW_WIDTH = 1200


class BadPicture(ValueError):
    """The uploaded file is not a readable picture."""


class PictureTooLarge(BadPicture):
    """The picture declares more pixels than foxtrack decodes (read from its header)."""

    def __init__(self, max_pixels: int):
        super().__init__(f"Picture too large: more than {max_pixels} pixels.")


def picture_limit(max_pixels: int) -> None:
    """Pillow's own bomb check at the same limit (it refuses twice the limit when opening, warns
    above it), for every picture the process opens; foxtrack checks the header at the limit itself."""
    Image.MAX_IMAGE_PIXELS = max_pixels


def _decoded(source: Path, max_pixels: int | None) -> Image.Image:
    """The picture of ``source`` as RGB(A), its size checked from the header before any decoding."""
    try:
        with Image.open(source) as opened:
            width, height = opened.size
            if max_pixels is not None and width * height > max_pixels:
                raise PictureTooLarge(max_pixels)
            opened.load()
            return _rgb(ImageOps.exif_transpose(opened) or opened)
    except Image.DecompressionBombError as exc:
        raise PictureTooLarge(max_pixels or Image.MAX_IMAGE_PIXELS or 0) from exc
    except (UnidentifiedImageError, OSError) as exc:
        raise BadPicture(str(exc)) from exc


@dataclass
class Variants:
    width: int
    height: int
    original: Path
    thumbnail: Path
    square: Path
    preview: Path


def _rgb(image: Image.Image) -> Image.Image:
    if image.mode in ("RGB", "RGBA"):
        return image
    return image.convert("RGBA" if "A" in image.getbands() or image.mode == "P" else "RGB")


def build_picture_variants(source: Path, workdir: Path, keep_png: bool, max_pixels: int | None = None) -> Variants:
    """Write the PNG variants of ``source`` into ``workdir``; a PNG original is kept byte for byte.
    Pictures over ``max_pixels`` raise PictureTooLarge before they are decoded."""
    image = _decoded(source, max_pixels)
    width, height = image.size
    original = workdir / "original.png"
    if keep_png:
        original = source
    else:
        image.save(original, "PNG")
    thumbnail = workdir / "thumbnail.png"
    ImageOps.fit(image, THUMBNAIL, Image.Resampling.LANCZOS).save(thumbnail, "PNG")
    square = workdir / "square.png"
    ImageOps.fit(image, SQUARE, Image.Resampling.LANCZOS).save(square, "PNG")
    preview = workdir / "preview.png"
    preview_height = max(1, round(height * PREVIEW_WIDTH / width))
    image.resize((PREVIEW_WIDTH, preview_height), Image.Resampling.LANCZOS).save(preview, "PNG")
    return Variants(width, height, original, thumbnail, square, preview)


def build_avatar(source: Path, target: Path, size: tuple[int, int], max_pixels: int) -> None:
    """A PNG thumbnail of ``size`` (cropped to fill) for persons, projects and organisations."""
    image = _decoded(source, max_pixels)
    ImageOps.fit(image, size, Image.Resampling.LANCZOS).save(target, "PNG")
