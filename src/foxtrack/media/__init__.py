"""Media processing with ffmpeg: probing and movie normalisation (renditions, first frame, tiles)."""

from foxtrack.media.ffmpeg import FFmpegError, Probe, probe
from foxtrack.media.movie import MovieOutputs, Spec, transcode_movie

__all__ = ["FFmpegError", "MovieOutputs", "Probe", "Spec", "probe", "transcode_movie"]
