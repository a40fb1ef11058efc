"""Compression of log chunks: how the bytes of ``logchunks.content`` are encoded.

Each chunk records its own codec in ``logchunks.compressed``, so a database
written with zstd stays readable by a reader that chose zlib and vice versa,
as long as the codec's module is importable:

- ``0`` raw: chunks under ``MIN_COMPRESS_SIZE`` bytes, or that do not shrink;
- ``1`` zlib: when the ``zstandard`` package is not installed;
- ``2`` zstd: the default when ``zstandard`` is importable.
"""

from __future__ import annotations

import zlib
from types import ModuleType

RAW = 0
ZLIB = 1
ZSTD = 2

# Below this size the codec's framing costs more than it saves.
MIN_COMPRESS_SIZE = 256

_ZSTD_LEVEL = 3
_ZLIB_LEVEL = 6


def _load_zstd() -> ModuleType | None:
    try:
        import zstandard
    except ImportError:
        return None
    return zstandard


_zstd = _load_zstd()


class LogCompressionError(ValueError):
    """A chunk uses a codec this process cannot decode."""


def preferred_codec() -> int:
    return ZSTD if _zstd is not None else ZLIB


def compress(data: bytes, codec: int | None = None) -> tuple[bytes, int]:
    """Return ``(stored_bytes, codec)`` for ``data``; small or incompressible data stays raw."""
    if len(data) < MIN_COMPRESS_SIZE:
        return data, RAW
    codec = preferred_codec() if codec is None else codec
    if codec == ZSTD and _zstd is not None:
        packed = _zstd.ZstdCompressor(level=_ZSTD_LEVEL).compress(data)
    elif codec in (ZSTD, ZLIB):
        codec = ZLIB
        packed = zlib.compress(data, _ZLIB_LEVEL)
    else:
        return data, RAW
    if len(packed) >= len(data):
        return data, RAW
    return packed, codec


def decompress(data: bytes, codec: int) -> bytes:
    """The original bytes of a chunk stored with ``codec``."""
    if codec == RAW:
        return bytes(data)
    if codec == ZLIB:
        return zlib.decompress(data)
    if codec == ZSTD:
        if _zstd is None:
            raise LogCompressionError("log chunk is zstd-compressed but zstandard is not installed")
        result: bytes = _zstd.ZstdDecompressor().decompress(data)
        return result
    raise LogCompressionError(f"unknown log chunk compression {codec}")
