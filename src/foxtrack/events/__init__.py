"""Real-time events: the Socket.IO server gazu.events and Kitsu connect to."""

from foxtrack.events.realtime import RealtimeServer

__all__ = ["RealtimeServer"]
