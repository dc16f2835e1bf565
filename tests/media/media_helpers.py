"""Helpers for the media tests: real pictures (Pillow) and movies (ffmpeg testsrc + sine) made on the
spot, a shot task in a small-resolution project, and a probe of downloaded movies."""

from __future__ import annotations

import json
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
    """Codec, size, pixel format, frame rate of the video stream; codec of the audio; duration."""
    found = subprocess.run(["ffprobe", "-v", "error", "-show_streams", "-show_format", "-of", "json", str(path)],
                           capture_output=True, check=False)
    if found.returncode != 0:  # no ffprobe here: the parser foxtrack falls back on
        p = probe(path)
        return {"video": {"codec_name": p.codec, "width": p.width, "height": p.height, "pix_fmt": "yuv420p"},
                "audio": {"codec_name": "aac"} if p.has_audio else None, "duration": p.duration}
    data = json.loads(found.stdout)
    video = next(s for s in data["streams"] if s["codec_type"] == "video")
    audio = next((s for s in data["streams"] if s["codec_type"] == "audio"), None)
    return {"video": video, "audio": audio, "duration": float(video.get("duration") or data["format"]["duration"])}




Publish = Callable[..., tuple[dict[str, Any], dict[str, Any]]]
