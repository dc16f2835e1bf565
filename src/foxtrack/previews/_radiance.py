"""A PNG thumbnail of a Radiance HDR file (``.hdr``, RGBE pixels, flat or run-length encoded), for
ffmpeg builds without the HDR decoder. Tone-mapped as Zou does: clamp to 0-1, gamma 2.2, 0-255."""

from __future__ import annotations

import math
from pathlib import Path

from PIL import Image

__all__ = ["hdr_thumbnail"]


class _BadFile(ValueError):
    pass


def _size(data: bytes) -> tuple[int, int, int]:
    """(width, height, offset of the first scanline) from the header; only ``-Y h +X w`` (top-down)."""
    if not data.startswith((b"#?RADIANCE", b"#?RGBE")):
        raise _BadFile("not a Radiance file")
    end = data.find(b"\n\n")
    if end < 0:
        raise _BadFile("no end of header")
    line_end = data.find(b"\n", end + 2)
    parts = data[end + 2:line_end].split()
    if line_end < 0 or len(parts) != 4 or parts[0] != b"-Y" or parts[2] != b"+X":
        raise _BadFile("unsupported resolution line")
    return int(parts[3]), int(parts[1]), line_end + 1


def _scanline(data: bytes, at: int, width: int) -> tuple[bytes, int]:
    """One scanline as width x RGBE bytes, and the offset after it."""
    if not (8 <= width <= 0x7FFF and data[at:at + 2] == b"\x02\x02" and data[at + 2] < 128):
        return data[at:at + 4 * width], at + 4 * width  # flat pixels
    at += 4
    channels = []
    for _ in range(4):
        out = bytearray()
        while len(out) < width:
            count = data[at]
            if count > 128:
                out += data[at + 1:at + 2] * (count - 128)
                at += 2
            else:
                out += data[at + 1:at + 1 + count]
                at += 1 + count
            if count == 0 or at > len(data):
                raise _BadFile("truncated scanline")
        channels.append(out[:width])
    rgbe = bytearray(4 * width)
    for index, channel in enumerate(channels):
        rgbe[index::4] = channel
    return bytes(rgbe), at


def _tone(mantissa: int, exponent: int) -> int:
    value = 0.0 if exponent == 0 else (mantissa + 0.5) * math.ldexp(1.0, exponent - 136)
    return round(255.0 * math.pow(min(max(value, 0.0), 1.0), 1 / 2.2))


def hdr_thumbnail(source: Path, target: Path, width: int = 150) -> bool:
    """Write ``target`` (PNG, ``width`` wide); False when ``source`` is not a readable HDR image."""
    try:
        data = source.read_bytes()
        full_width, full_height, at = _size(data)
        step = max(1, full_width // width)
        rows = []
        for y in range(full_height):
            line, at = _scanline(data, at, full_width)
            if len(line) < 4 * full_width:
                raise _BadFile("truncated file")
            if y % step == 0:
                rows.append(bytes(_tone(line[x + c], line[x + 3])
                                  for x in range(0, 4 * full_width, 4 * step) for c in range(3)))
    except (OSError, ValueError, IndexError):
        return False
    if not rows or not rows[0]:
        return False
    small = Image.frombytes("RGB", (len(rows[0]) // 3, len(rows)), b"".join(rows))
    small.resize((width, max(1, round(width * full_height / full_width)))).save(target, "PNG")
    return True
