"""Draw Kitsu's annotations (Fabric.js canvas objects) over a frame, with Pillow.

The review room stores each annotation as ``{"time", "drawing": {"objects": [...]}}``; objects are
Fabric.js JSON: free-hand ``path`` strokes (SVG commands), ``rect``, ``circle``/``ellipse``, ``line``,
``polyline``/``polygon``, ``arrow``, texts and groups, drawn on a canvas of ``canvasWidth`` x
``canvasHeight`` that is scaled onto the frame. Drawn at twice the size, then reduced, for smooth edges.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from io import BytesIO
from typing import Any

from PIL import Image, ImageColor, ImageDraw, ImageFont

Row = dict[str, Any]
Point = tuple[float, float]
SUPERSAMPLE = 2
_RGBA = re.compile(r"^\s*rgba?\(\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*(?:,\s*(\d*\.?\d+)\s*)?\)\s*$", re.I)
_TOKEN = re.compile(r"[MmLlQqCcZzHhVv]|-?\d*\.?\d+(?:e-?\d+)?")


def color(value: Any) -> tuple[int, int, int, int] | None:
    """An RGBA colour from a CSS colour (``#f00``, ``rgba(…)``, names); None for none or transparent."""
    if not isinstance(value, str) or value in ("", "transparent"):
        return None
    match = _RGBA.match(value)
    if match:
        r, g, b, a = match.groups()
        alpha = float(a) if a is not None else 1.0
        return int(r), int(g), int(b), round(alpha * 255) if alpha <= 1 else min(255, round(alpha))
    try:
        rgb = ImageColor.getrgb(value)
    except ValueError:
        return None
    return (rgb[0], rgb[1], rgb[2], 255) if len(rgb) == 3 else (rgb[0], rgb[1], rgb[2], rgb[3])


def _number(obj: Row, key: str, default: float = 0.0) -> float:
    value = obj.get(key, default)
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else default


def _transform(obj: Row, sx: float, sy: float, pivot: Point = (0.0, 0.0)) -> Callable[[float, float], Point]:
    """Object coordinates (relative to ``pivot``) to image pixels: scale, rotate, then place at left/top."""
    left, top = _number(obj, "left"), _number(obj, "top")
    scale_x, scale_y = _number(obj, "scaleX", 1.0) or 1.0, _number(obj, "scaleY", 1.0) or 1.0
    angle = math.radians(_number(obj, "angle"))
    cos, sin = math.cos(angle), math.sin(angle)

    def apply(x: float, y: float) -> Point:
        dx, dy = (x - pivot[0]) * scale_x, (y - pivot[1]) * scale_y
        rx, ry = dx * cos - dy * sin, dx * sin + dy * cos
        return (left + rx) * sx, (top + ry) * sy
    return apply


_ARITY = {"M": 2, "L": 2, "Q": 4, "C": 6, "H": 1, "V": 1, "Z": 0}


def _path_points(commands: Any) -> list[list[Point]]:
    """SVG path commands (Fabric's list form ``[["M", x, y], ...]`` or a string) as polylines."""
    tokens: list[Any] = []
    if isinstance(commands, str):
        tokens = [t if t.isalpha() else float(t) for t in _TOKEN.findall(commands)]
    elif isinstance(commands, list):
        for command in commands:
            if isinstance(command, list):
                tokens.extend(command)
    lines: list[list[Point]] = []
    current: list[Point] = []
    x = y = 0.0
    i, op = 0, "M"
    while i < len(tokens):
        if isinstance(tokens[i], str):
            op, i = tokens[i], i + 1
        name = op.upper()
        need = _ARITY.get(name)
        if need is None:
            break
        args = tokens[i:i + need]
        if len(args) < need or not all(isinstance(v, (int, float)) for v in args):
            break
        i += need
        relative = op.islower()
        if name == "Z":
            if current:
                current.append(current[0])
            continue
        if name in "HV":
            value = float(args[0]) + ((x if name == "H" else y) if relative else 0.0)
            x, y = (value, y) if name == "H" else (x, value)
            current.append((x, y))
            continue
        base = (x, y) if relative else (0.0, 0.0)
        points = [(float(args[k]) + base[0], float(args[k + 1]) + base[1]) for k in range(0, need, 2)]
        if name == "M":
            if len(current) > 1:
                lines.append(current)
            current = [points[0]]
            op = "l" if relative else "L"  # further pairs after a move are line-tos
        elif name in "QC":
            current.extend(_bezier([(x, y), *points], 8 if name == "Q" else 12))
        else:
            current.append(points[0])
        x, y = points[-1]
    if len(current) > 1:
        lines.append(current)
    return lines


def _bezier(control: list[Point], steps: int) -> list[Point]:
    out = []
    for n in range(1, steps + 1):
        t = n / steps
        points = list(control)
        while len(points) > 1:
            points = [(a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t) for a, b in zip(points, points[1:])]
        out.append(points[0])
    return out


def _bounds(points: Iterable[Point]) -> tuple[float, float, float, float]:
    xs, ys = zip(*points)
    return min(xs), min(ys), max(xs), max(ys)


def _draw(layer: Image.Image, obj: Row, size: tuple[int, int]) -> None:
    kind = str(obj.get("type") or "").lower()
    canvas_w = _number(obj, "canvasWidth") or size[0] / SUPERSAMPLE
    canvas_h = _number(obj, "canvasHeight") or size[1] / SUPERSAMPLE
    sx, sy = size[0] / canvas_w, size[1] / canvas_h
    draw = ImageDraw.Draw(layer)
    stroke = color(obj.get("stroke"))
    fill = color(obj.get("fill"))
    width = max(1, round(_number(obj, "strokeWidth", 1.0) * (_number(obj, "scaleX", 1.0) or 1.0) * sx))
    if kind in ("path", "psstroke"):
        lines = _path_points(obj.get("path"))
        if not lines:
            return
        x0, y0, x1, y1 = _bounds(p for line in lines for p in line)
        pivot = (_number(obj, "pathOffsetX", (x0 + x1) / 2), _number(obj, "pathOffsetY", (y0 + y1) / 2))
        width_w, height_h = _number(obj, "width"), _number(obj, "height")
        place = _transform(obj, sx, sy, pivot)
        origin_shift = (width_w / 2, height_h / 2) if obj.get("originX", "left") == "left" else (0.0, 0.0)
        for line in lines:
            points = [place(x + origin_shift[0], y + origin_shift[1]) for x, y in line]
            draw.line(points, fill=stroke or fill or (0, 0, 0, 255), width=width, joint="curve")
    elif kind in ("rect", "circle", "ellipse"):
        w, h = _number(obj, "width"), _number(obj, "height")
        if kind == "circle":
            w = h = 2 * _number(obj, "radius", w / 2)
        elif kind == "ellipse":
            w, h = 2 * _number(obj, "rx", w / 2), 2 * _number(obj, "ry", h / 2)
        place = _transform(obj, sx, sy)
        (ax, ay), (bx, by) = place(0, 0), place(w, h)
        box = (min(ax, bx), min(ay, by), max(ax, bx), max(ay, by))
        shape = draw.rectangle if kind == "rect" else draw.ellipse
        shape(box, fill=fill, outline=stroke, width=width)
    elif kind in ("line", "arrow"):
        place = _transform(obj, sx, sy, (0.0, 0.0))
        cx, cy = _number(obj, "left"), _number(obj, "top")
        ends = [(_number(obj, "x1"), _number(obj, "y1")), (_number(obj, "x2"), _number(obj, "y2"))]
        if "x1" not in obj:
            ends = [(0.0, 0.0), (_number(obj, "width"), _number(obj, "height"))]
            points = [place(x, y) for x, y in ends]
        else:
            points = [((cx + x) * sx if obj.get("originX") == "center" else x * sx,
                       (cy + y) * sy if obj.get("originY") == "center" else y * sy) for x, y in ends]
        draw.line(points, fill=stroke or (0, 0, 0, 255), width=width)
        if kind == "arrow":
            (x1, y1), (x2, y2) = points
            angle, head = math.atan2(y2 - y1, x2 - x1), width * 4
            for side in (-0.5, 0.5):
                draw.line([(x2, y2), (x2 - head * math.cos(angle + side), y2 - head * math.sin(angle + side))],
                          fill=stroke or (0, 0, 0, 255), width=width)
    elif kind in ("polyline", "polygon"):
        raw = [(_number(p, "x"), _number(p, "y")) for p in obj.get("points") or [] if isinstance(p, dict)]
        if len(raw) < 2:
            return
        x0, y0, x1, y1 = _bounds(raw)
        place = _transform(obj, sx, sy, (x0, y0))
        points = [place(x, y) for x, y in raw]
        if kind == "polygon":
            draw.polygon(points, fill=fill, outline=stroke, width=width)
        else:
            draw.line(points, fill=stroke or (0, 0, 0, 255), width=width)
    elif kind in ("text", "i-text", "textbox"):
        text = str(obj.get("text") or "")
        size_px = max(1, round(_number(obj, "fontSize", 20.0) * (_number(obj, "scaleY", 1.0) or 1.0) * sy))
        try:
            font: ImageFont.FreeTypeFont | ImageFont.ImageFont = ImageFont.load_default(size=size_px)
        except TypeError:  # Pillow < 10.1
            font = ImageFont.load_default()
        place = _transform(obj, sx, sy)
        draw.multiline_text(place(0, 0), text, fill=fill or stroke or (0, 0, 0, 255), font=font)
    elif kind == "group":
        for child in obj.get("objects") or []:
            if isinstance(child, dict):
                _draw(layer, {"canvasWidth": canvas_w, "canvasHeight": canvas_h, **child}, size)


def render(picture: bytes, annotation: Row) -> bytes:
    """The PNG of ``picture`` with ``annotation``'s drawing over it."""
    drawing = annotation.get("drawing") if isinstance(annotation, dict) else None
    objects = drawing.get("objects") if isinstance(drawing, dict) else None
    image = Image.open(BytesIO(picture)).convert("RGBA")
    if isinstance(objects, list) and objects:
        size = (image.width * SUPERSAMPLE, image.height * SUPERSAMPLE)
        overlay = Image.new("RGBA", size, (0, 0, 0, 0))
        for obj in objects:
            if isinstance(obj, dict):
                _draw(overlay, obj, size)
        image = Image.alpha_composite(image, overlay.resize(image.size, Image.Resampling.LANCZOS))
    out = BytesIO()
    image.convert("RGB").save(out, "PNG")
    return out.getvalue()
