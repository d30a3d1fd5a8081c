"""Swift rings: :class:`Ring` (placement), :class:`RingData` (file tables) and
:class:`RingBuilder` (assignment)."""

from swift.common.ring.ring import Ring, RingData

__all__ = ['Ring', 'RingData', 'RingBuilder']


def __getattr__(name):
    # The builder is imported lazily: servers that only read rings never pay for it.
    if name == 'RingBuilder':
        from swift.common.ring.builder import RingBuilder
        return RingBuilder
    raise AttributeError(name)
