"""The suite runs as on a new user's machine: tools installed by hand are hidden, and movies go through
the ffmpeg binary that the project's own dependencies ship."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import imageio_ffmpeg
from media_helpers import make_movie

from foxtrack.media.ffmpeg import ffmpeg_exe, ffprobe_exe, probe


def test_hand_installed_tools_are_hidden() -> None:
    hidden = os.environ["FOXTRACK_TEST_HIDDEN_TOOLS"].split(",")
    assert "ffmpeg" in hidden and "ffprobe" in hidden
    assert [tool for tool in hidden if shutil.which(tool)] == []
    assert shutil.which("python3") or shutil.which("sh")  # the rest of PATH is still there


def test_ffmpeg_is_the_shipped_binary_and_probing_reads_the_real_pixel_format(tmp_path: Path) -> None:
    assert ffmpeg_exe() == imageio_ffmpeg.get_ffmpeg_exe() and ffprobe_exe() is None
    movie = make_movie(tmp_path / "m.mov", seconds=1, size="160x96", rate=24, audio=False,
                       codec=["-c:v", "libx264", "-pix_fmt", "yuv444p"])
    found = probe(movie)
    assert (found.codec, found.pixel_format, found.width, found.height) == ("h264", "yuv444p", 160, 96)
    assert found.fps == 24 and found.audio_codec is None and 0.9 < found.duration < 1.1
    assert os.access(ffmpeg_exe(), os.X_OK)
