"""Movie normalisation, as Kitsu plays movies: H.264 yuv420p with +faststart and a 2-frame GOP (every
frame seeks fast, for frame-accurate scrubbing), the project's frame rate and resolution (scaled and
padded), an AAC track (silent when the source has none), a high-def rendition at the project size and
a low-def one 1280 px wide, the first frame as a PNG, and the scrubbing tile sprite (frames 100 px
high, 8 columns). Blocking and CPU-heavy: run it in a worker process (``previews.jobs``)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from foxtrack.media.ffmpeg import FFmpegError, Probe, probe, run

__all__ = ["MovieOutputs", "Spec", "parse_fps", "parse_resolution", "transcode_movie"]

LOW_WIDTH = 1280
HIGH_BITRATE = "28M"
LOW_BITRATE = "6M"
TILE_HEIGHT = 100
TILE_COLUMNS = 8
TILE_MAX_ROWS = 480
TILE_MAX_FRAMES = 3840
PRESET = "veryfast"


@dataclass(frozen=True)
class Spec:
    """What to make: the project's size and frame rate."""

    width: int = 1920
    height: int = 1080
    fps: float = 25.0
    threads: int = 0  # 0: ffmpeg decides


@dataclass(frozen=True)
class MovieOutputs:
    high: Path
    low: Path
    first_frame: Path
    tiles: Path | None
    width: int
    height: int
    duration: float
    original: Probe


def parse_resolution(text: str | None) -> tuple[int, int]:
    """``"1920x1080"`` → (1920, 1080), both even (H.264 4:2:0 needs it); Zou's default otherwise."""
    try:
        w, h = (int(v) for v in str(text).lower().split("x", 1))
    except (TypeError, ValueError):
        return 1920, 1080
    if w < 16 or h < 16 or w > 8192 or h > 8192:
        return 1920, 1080
    return w - w % 2, h - h % 2


def parse_fps(text: str | float | None) -> float:
    try:
        fps = float(str(text).replace(",", "."))
    except (TypeError, ValueError):
        return 25.0
    return fps if 1 <= fps <= 240 else 25.0


def _fps_text(fps: float) -> str:
    return str(int(fps)) if fps == int(fps) else f"{fps:.3f}"


def normalize(source: Path, original: Probe, spec: Spec, high: Path, low: Path) -> None:
    """Both renditions in one ffmpeg run (the source is decoded once)."""
    low_height = max(2, round(LOW_WIDTH * spec.height / spec.width / 2) * 2)
    video = (f"[0:v:0]fps={_fps_text(spec.fps)},"
             f"scale={spec.width}:{spec.height}:force_original_aspect_ratio=decrease:flags=bicubic,"
             f"pad={spec.width}:{spec.height}:(ow-iw)/2:(oh-ih)/2,setsar=1,format=yuv420p,split=2[hd][t];"
             f"[t]scale={LOW_WIDTH}:{low_height}:flags=bicubic[ld]")
    args = ["-i", str(source)]
    if original.has_audio:
        audio = "0:a:0"
    else:
        args += ["-f", "lavfi", "-i", "anullsrc=channel_layout=stereo:sample_rate=44100"]
        audio = "1:a:0"
    encode = ["-c:v", "libx264", "-preset", PRESET, "-profile:v", "high", "-pix_fmt", "yuv420p",
              "-g", "2", "-keyint_min", "2", "-sc_threshold", "0", "-c:a", "aac", "-b:a", "128k", "-ar", "44100",
              "-ac", "2", "-movflags", "+faststart", "-shortest"]
    if spec.threads:
        encode += ["-threads", str(spec.threads)]
    args += ["-filter_complex", video,
             "-map", "[hd]", "-map", audio, *encode, "-b:v", HIGH_BITRATE, "-maxrate", HIGH_BITRATE,
             "-bufsize", "56M", str(high),
             "-map", "[ld]", "-map", audio, *encode, "-b:v", LOW_BITRATE, "-maxrate", LOW_BITRATE,
             "-bufsize", "12M", str(low)]
    run(args, timeout=max(600.0, original.duration * 30))


def first_frame(movie: Path, target: Path) -> None:
    run(["-i", str(movie), "-frames:v", "1", "-f", "image2", "-c:v", "png", str(target)], timeout=120)


def tile_sprite(movie: Path, duration: float, fps: float, target: Path) -> Path | None:
    """Frames 100 px high in rows of 8 (at most 480 rows, every n-th frame beyond 3840 frames)."""
    frames = max(1, int(round(duration * fps)))
    step = max(1, math.ceil(frames / TILE_MAX_FRAMES))
    kept = math.ceil(frames / step)
    rows = min(TILE_MAX_ROWS, max(1, math.ceil(kept / TILE_COLUMNS)))
    select = f"select=not(mod(n\\,{step}))," if step > 1 else ""
    run(["-i", str(movie), "-an", "-vf", f"{select}scale=-2:{TILE_HEIGHT},tile={TILE_COLUMNS}x{rows}",
         "-frames:v", "1", "-f", "image2", "-c:v", "png", str(target)], timeout=600)
    return target if target.is_file() else None


def transcode_movie(source: Path, workdir: Path, spec: Spec) -> MovieOutputs:
    """Everything a movie preview needs, written into ``workdir``; raises ``FFmpegError``."""
    if not source.is_file() or source.stat().st_size == 0:
        raise FFmpegError("empty file")
    original = probe(source)
    if original.width <= 0 or original.height <= 0:
        raise FFmpegError("not a readable movie (no picture size)")
    high, low = workdir / "high.mp4", workdir / "low.mp4"
    normalize(source, original, spec, high, low)
    result = probe(high)
    if result.duration <= 0 and original.duration <= 0:
        raise FFmpegError("the movie has no frames")
    frame = workdir / "first.png"
    first_frame(high, frame)
    if not frame.is_file():
        raise FFmpegError("the movie has no frames")
    tiles = tile_sprite(low, result.duration or original.duration, spec.fps, workdir / "tiles.png")
    return MovieOutputs(high, low, frame, tiles, result.width, result.height, round(result.duration, 3), original)
