"""Finding and running ffmpeg: the system's ``ffmpeg``/``ffprobe`` when on PATH, else the binary that
the ``imageio-ffmpeg`` package ships (then probing parses ``ffmpeg -i``, as there is no ffprobe)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

__all__ = ["FFmpegError", "Probe", "ffmpeg_exe", "ffprobe_exe", "probe", "run"]


class FFmpegError(RuntimeError):
    """ffmpeg failed or the file is not a readable movie; the message is short and user-facing."""


@dataclass(frozen=True)
class Probe:
    width: int
    height: int
    duration: float
    fps: float
    codec: str
    has_audio: bool


@lru_cache(maxsize=1)
def ffmpeg_exe() -> str:
    found = os.environ.get("FOXTRACK_FFMPEG") or shutil.which("ffmpeg")
    if found:
        return found
    try:
        import imageio_ffmpeg
    except ImportError as exc:  # pragma: no cover - a dependency of foxtrack
        raise FFmpegError("ffmpeg is not installed") from exc
    return str(imageio_ffmpeg.get_ffmpeg_exe())


@lru_cache(maxsize=1)
def ffprobe_exe() -> str | None:
    if os.environ.get("FOXTRACK_FFMPEG"):
        return os.environ.get("FOXTRACK_FFPROBE") or None
    return shutil.which("ffprobe")


def _lower_priority() -> None:  # pragma: no cover - runs in the child
    try:
        os.nice(19)
    except OSError:
        pass
    try:  # Linux: ffmpeg dies with the process that started it (a stopped worker leaves no orphan)
        import ctypes
        import signal

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def run(args: list[str], timeout: float | None = None) -> str:
    """Run ffmpeg (at the lowest CPU priority, so requests keep the cores) and return its stderr."""
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-y", *args]
    try:
        done = subprocess.run(cmd, capture_output=True, timeout=timeout, preexec_fn=_lower_priority, check=False)
    except subprocess.TimeoutExpired as exc:
        raise FFmpegError("transcoding took too long") from exc
    err = done.stderr.decode(errors="replace")
    if done.returncode != 0:
        last = [line for line in err.strip().splitlines() if line.strip()][-1:] or ["unknown error"]
        raise FFmpegError(f"ffmpeg failed: {last[0][:300]}")
    return err


def _ratio(text: str) -> float:
    if "/" in text:
        num, den = text.split("/", 1)
        return float(num) / float(den) if float(den) else 0.0
    return float(text or 0)


def probe(path: Path) -> Probe:
    """Size, duration, frame rate, codec and audio presence of the first video stream."""
    exe = ffprobe_exe()
    if exe:
        done = subprocess.run([exe, "-v", "error", "-show_streams", "-show_format", "-of", "json", str(path)],
                              capture_output=True, timeout=60, check=False)
        data = json.loads(done.stdout or b"{}") if done.returncode == 0 else {}
        streams = data.get("streams") or []
        video = next((s for s in streams if s.get("codec_type") == "video"), None)
        if video is None:
            raise FFmpegError("not a readable movie (no video stream)")
        duration = float(video.get("duration") or data.get("format", {}).get("duration") or 0)
        return Probe(int(video.get("width") or 0), int(video.get("height") or 0), duration,
                     _ratio(video.get("avg_frame_rate") or video.get("r_frame_rate") or "0"),
                     str(video.get("codec_name") or ""), any(s.get("codec_type") == "audio" for s in streams))
    return _probe_with_ffmpeg(path)


VIDEO_LINE = re.compile(r"Stream #\S+.*?: Video: (\w+).*?, (\d{2,5})x(\d{2,5})")
FPS = re.compile(r"([\d.]+) (?:fps|tbr)")
DURATION = re.compile(r"Duration: (\d+):(\d+):([\d.]+)")


def _probe_with_ffmpeg(path: Path) -> Probe:
    done = subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", str(path)], capture_output=True,
                          timeout=60, check=False)
    text = done.stderr.decode(errors="replace")
    video = next((VIDEO_LINE.search(line) for line in text.splitlines() if VIDEO_LINE.search(line)), None)
    if video is None:
        raise FFmpegError("not a readable movie (no video stream)")
    line = next(line for line in text.splitlines() if VIDEO_LINE.search(line))
    fps = FPS.search(line)
    duration = DURATION.search(text)
    seconds = (int(duration.group(1)) * 3600 + int(duration.group(2)) * 60 + float(duration.group(3))
               if duration else 0.0)
    return Probe(int(video.group(2)), int(video.group(3)), seconds, float(fps.group(1)) if fps else 0.0,
                 video.group(1), "Audio:" in text)
