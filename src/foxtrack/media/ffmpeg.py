"""Finding and running ffmpeg: the system's ``ffmpeg``/``ffprobe`` when on PATH, else the binary that
the ``imageio-ffmpeg`` package ships (then probing parses ``ffmpeg -i``, as there is no ffprobe)."""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

__all__ = ["FFmpegError", "Probe", "ffmpeg_exe", "ffprobe_exe", "lower_priority", "probe", "run"]


class FFmpegError(RuntimeError):
    """ffmpeg failed or the file is not a readable movie; the message is short and user-facing."""


@dataclass(frozen=True)
class Probe:
    width: int
    height: int
    duration: float
    fps: float
    codec: str
    pixel_format: str
    audio_codec: str | None

    @property
    def has_audio(self) -> bool:
        return self.audio_codec is not None


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


def lower_priority(parent: int | None = None) -> None:  # pragma: no cover - runs in the child
    """In a child process of ``parent``: the lowest CPU priority, and (Linux) death with that parent, so a
    server that stops, even killed, leaves neither ffmpeg nor a pool process behind."""
    try:
        os.nice(19)
    except OSError:
        pass
    try:
        import ctypes
        import signal

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if parent is not None and os.getppid() != parent:  # it died before the signal was asked for
        os._exit(1)


def run(args: list[str], timeout: float | None = None) -> str:
    """Run ffmpeg (at the lowest CPU priority, so requests keep the cores) and return its stderr."""
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-y", *args]
    try:
        done = subprocess.run(cmd, capture_output=True, timeout=timeout, check=False,
                              preexec_fn=functools.partial(lower_priority, os.getpid()))
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
        audio = next((s for s in streams if s.get("codec_type") == "audio"), None)
        duration = float(video.get("duration") or data.get("format", {}).get("duration") or 0)
        return Probe(int(video.get("width") or 0), int(video.get("height") or 0), duration,
                     _ratio(video.get("avg_frame_rate") or video.get("r_frame_rate") or "0"),
                     str(video.get("codec_name") or ""), str(video.get("pix_fmt") or ""),
                     str(audio.get("codec_name") or "") if audio is not None else None)
    return _probe_with_ffmpeg(path)


# ``Stream #0:0[0x1](und): Video: h264 (High) (avc1 / 0x31637661), yuv420p(tv, progressive), 320x240 ...``:
# the codec, then (after the codec's parenthesised details) the pixel format, then the size
VIDEO_LINE = re.compile(r"Stream #\S+.*?: Video: (\w+)[^,]*?, (\w+).*?, (\d{2,5})x(\d{2,5})")
AUDIO_LINE = re.compile(r"Stream #\S+.*?: Audio: (\w+)")
FPS = re.compile(r"([\d.]+) (?:fps|tbr)")
DURATION = re.compile(r"Duration: (\d+):(\d+):([\d.]+)")


def _probe_with_ffmpeg(path: Path) -> Probe:
    done = subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", str(path)], capture_output=True,
                          timeout=60, check=False)
    text = done.stderr.decode(errors="replace")
    line, video = next(((line, found) for line in text.splitlines() if (found := VIDEO_LINE.search(line))),
                       ("", None))
    if video is None:
        raise FFmpegError("not a readable movie (no video stream)")
    fps = FPS.search(line)
    duration = DURATION.search(text)
    audio = AUDIO_LINE.search(text)
    seconds = (int(duration.group(1)) * 3600 + int(duration.group(2)) * 60 + float(duration.group(3))
               if duration else 0.0)
    return Probe(int(video.group(3)), int(video.group(4)), seconds, float(fps.group(1)) if fps else 0.0,
                 video.group(1), video.group(2), audio.group(1) if audio else None)
