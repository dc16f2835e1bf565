"""Helpers for the media tests: real pictures (Pillow) and movies (ffmpeg testsrc + sine) made on the
spot, a shot task in a small-resolution project, and a probe of downloaded movies."""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PIL import Image

from foxtrack.media.ffmpeg import ffmpeg_exe, probe

RESOLUTION = (640, 360)


def tag() -> str:
    return uuid.uuid4().hex[:8]


def make_movie(path: Path, seconds: float = 2, size: str = "320x240", rate: int = 25, audio: bool = True,
               codec: list[str] | None = None) -> Path:
    args = [ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi", "-i", f"testsrc=size={size}:rate={rate}"]
    if audio:
        args += ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100"]
    args += ["-t", str(seconds), *(codec or ["-c:v", "libx264", "-pix_fmt", "yuv420p"])]
    if audio:
        args += ["-c:a", "aac", "-shortest"]
    subprocess.run([*args, str(path)], check=True)
    return path


def make_picture(path: Path, size: tuple[int, int] = (320, 200)) -> Path:
    Image.new("RGB", size, (200, 80, 30)).save(path)
    return path


def streams(path: Path) -> dict[str, Any]:
    """Codec, size, pixel format and frame rate of the video stream; codec of the audio; duration; read by
    foxtrack's own probe (ffprobe where one is installed, else the ``ffmpeg -i`` of the shipped binary)."""
    found = probe(path)
    return {"video": {"codec_name": found.codec, "width": found.width, "height": found.height,
                      "pix_fmt": found.pixel_format, "fps": found.fps},
            "audio": {"codec_name": found.audio_codec} if found.audio_codec else None, "duration": found.duration}


Publish = Callable[..., tuple[dict[str, Any], dict[str, Any]]]
