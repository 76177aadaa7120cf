"""The viewer's media routes: stored images, sound and video served as files, so pages carry URLs, not bytes.

Routes on the Dash app's Flask server (``app.server``)::

    /media/image/<token>.png   an image record (pixels in the database, or its media file), transformed
    /media/audio/<token>.wav   an audio record as 16-bit PCM WAV at its sample rate
    /media/video/<token>.gif   a video record as an animated GIF at its fps (its media file when it has one)
    /media/frame/<token>.png?f=N   frame N of a video record, exact pixels, as PNG
    /media/file/<recorded path>?db=<source>   a media file a database records (see media_files.py)

A *token* names a record: base64url of the JSON ``[source, run, tag, part, row]``. The query's ``v`` is the
series' fingerprint digest: a URL with the current one names bytes that never change, served with a long
``immutable`` cache life; any other (a purged run, a replaced file) is served fresh with ``no-cache``. Images
take the definition's transform in ``t`` (base64url JSON, validated again here). Encoded bytes are kept in a
small LRU cache. Anything unknown, malformed or refused answers 404 with a one-line reason.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Callable
from urllib.parse import quote

import numpy as np
from PIL import Image

from ploteries.storage import array_to_text

from .library import Library
from .lru import LruCache
from .media_files import MEDIA_TYPES, MediaLookup, find_media
from .services.image_transforms import ImageTransform, apply_transform, parse_transform
from .services.media_encoding import gif_bytes, png_bytes, wav_bytes
from .throttle import Busy, HeavyRequests

__all__ = [
    "MediaCache",
    "MediaError",
    "decode_token",
    "encode_token",
    "file_url",
    "fingerprint_digest",
    "load_image_file",
    "load_image_size",
    "lookup_file",
    "read_record",
    "record_url",
    "register_media_routes",
    "sibling_value",
]

IMMUTABLE = "private, max-age=31536000, immutable"


class MediaError(Exception):
    """A media request that cannot be answered (the message is safe to show)."""


def encode_token(value) -> str:
    """A JSON value as URL-safe base64 without padding.

    Examples
    --------
    >>> encode_token(["a.h5", "run", "img", "", 3])
    'WyJhLmg1IiwicnVuIiwiaW1nIiwiIiwzXQ'
    >>> decode_token(encode_token(["a.h5", "run", "img", "", 3]))
    ['a.h5', 'run', 'img', '', 3]
    """
    raw = json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_token(token: str):
    """The JSON value of :func:`encode_token`, or None for anything malformed."""
    if not isinstance(token, str) or len(token) > 8192:
        return None
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        return json.loads(raw.decode("utf-8"))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None


def fingerprint_digest(fingerprint: str) -> str:
    """A short digest of a series fingerprint, for URLs.

    Examples
    --------
    >>> len(fingerprint_digest("uid:3:0"))
    12
    """
    return hashlib.blake2b(str(fingerprint).encode(), digest_size=6).hexdigest()


def record_url(route: str, key, row: int, fingerprint: str, transform: ImageTransform | None = None) -> str:
    """The URL of one record of series ``key`` = ``(source, run, tag, part)`` on a media route.

    Examples
    --------
    >>> record_url("audio", ("a.h5", "r", "tone", ""), 0, "x:1:0")
    '/media/audio/WyJhLmg1IiwiciIsInRvbmUiLCIiLDBd.wav?v=607ed9c65f09'
    """
    ext = {"image": "png", "audio": "wav", "video": "gif", "frame": "png"}[route]
    token = encode_token([*key, int(row)])
    url = f"/media/{route}/{token}.{ext}?v={fingerprint_digest(fingerprint)}"
    if transform is not None and not transform.identity:
        url += "&t=" + encode_token(transform.to_json())
    return url


def file_url(source: str, recorded: str) -> str:
    """The URL of a recorded media file of database ``source``.

    Examples
    --------
    >>> file_url("exp/ploteries.h5", "media/exp/img/0_0.png")
    '/media/file/media/exp/img/0_0.png?db=exp/ploteries.h5'
    """
    return f"/media/file/{quote(recorded, safe='/')}?db={quote(source, safe='/')}"


class MediaCache(LruCache[tuple[bytes, str]]):
    """A thread-safe LRU of encoded media ``(bytes, fingerprint)``, bounded in bytes (a file over a quarter of
    the bound is served but not kept: it would push out everything else)."""

    def __init__(self, max_bytes: int = 64 * 2**20):
        super().__init__(max_bytes=max_bytes, nbytes=lambda value: len(value[0]), largest=max_bytes // 4)


# ------------------------------------------------------------------------------------------ reading records


def _parse_key(value) -> tuple[tuple[str, str, str, str], int]:
    if (
        not isinstance(value, list)
        or len(value) != 5
        or not all(isinstance(v, str) for v in value[:4])
        or not isinstance(value[4], int)
        or isinstance(value[4], bool)
        or value[4] < 0
    ):
        raise MediaError("malformed media token")
    return tuple(value[:4]), value[4]


def read_record(library: Library, key, row: int):
    """Record ``row`` of series ``key`` = ``(source, run, tag, part)`` and its fingerprint."""
    source, run, tag, part = key
    info = library.snapshot.info(key)
    db = library.database(source)
    if info is None or db is None:
        raise MediaError("no such series")
    try:
        recs = db.read_records(run, tag, part, from_row=row, to_row=row + 1)
    except (OSError, ValueError, KeyError) as exc:
        raise MediaError(f"cannot read the record: {exc}") from None
    if len(recs) != 1:
        raise MediaError(f"no record {row} in this series")
    return recs[0], info.fingerprint


def sibling_value(library: Library, key, row: int, step: int, part: str):
    """The value of another part of the same tag logged with record ``row`` (at ``step``), or None.

    Parts of one logged object share their row when every call wrote all of them; otherwise the last
    record of the part at the same step is taken.
    """
    source, run, tag, _ = key
    db = library.database(source)
    if db is None or library.snapshot.info((source, run, tag, part)) is None:
        return None
    try:
        same_row = db.read_records(run, tag, part, from_row=row, to_row=row + 1)
        if len(same_row) == 1 and same_row.step[0] == step:
            return same_row.values[0]
        at_step = db.read_records(run, tag, part, start=step, stop=step + 1)
    except (OSError, ValueError, KeyError):
        return None
    return at_step.values[-1] if len(at_step) else None


def lookup_file(library: Library, source: str, recorded: str) -> MediaLookup:
    """Find the media file ``recorded`` by database ``source`` (see :mod:`ploteries.viz.media_files`)."""
    status = library.snapshot.source(source)
    if status is None:
        return MediaLookup(recorded, None, "not found: unknown database")
    return find_media(recorded, status.path.parent, library.roots, library.media_root)


MAX_SOURCE_PIXELS = 64 * 2**20
"""Largest media image file (in pixels) the viewer decodes: 256 MiB as RGBA."""


def load_image_file(path) -> np.ndarray:
    """A media image file as ``uint8`` ``(H, W, C)``, C in 3 or 4 (first frame of an animation)."""
    with Image.open(path) as img:
        if img.width * img.height > MAX_SOURCE_PIXELS:
            raise MediaError(
                f"image file is {img.width}x{img.height} pixels; the viewer reads at most {MAX_SOURCE_PIXELS}"
            )
        img.seek(0)
        mode = "RGBA" if ("A" in img.getbands() or "transparency" in img.info) else "RGB"
        return np.asarray(img.convert(mode))


def load_image_size(path) -> tuple[int, int]:
    """``(width, height)`` of a media image file (its header only is read)."""
    with Image.open(path) as img:
        return img.size


def _recorded_path(value) -> str:
    try:
        return array_to_text(np.asarray(value))
    except (TypeError, ValueError, UnicodeDecodeError):
        raise MediaError("the recorded media path is not UTF-8 text") from None


def _image_pixels(library: Library, key, record) -> np.ndarray:
    if key[3] == "file":
        found = lookup_file(library, key[0], _recorded_path(record.value))
        if not found.found:
            raise MediaError(f"image file {found.error}")
        return load_image_file(found.path)
    value = np.asarray(record.value)
    if value.dtype != np.uint8 or value.ndim != 3:
        raise MediaError(f"not an image: {value.dtype} {value.shape}")
    return value


def _image_png(library: Library, key, row: int, transform: ImageTransform) -> tuple[bytes, str]:
    record, fp = read_record(library, key, row)
    try:
        return png_bytes(apply_transform(_image_pixels(library, key, record), transform)), fp
    except ValueError as exc:
        raise MediaError(str(exc)) from None


def _audio_wav(library: Library, key, row: int) -> tuple[bytes, str]:
    record, fp = read_record(library, key, row)
    rate = sibling_value(library, key, row, record.step, "sample_rate")
    try:
        return wav_bytes(
            np.asarray(record.value, np.float32), float(np.asarray(rate)) if rate is not None else 44100
        ), fp
    except (TypeError, ValueError) as exc:
        raise MediaError(str(exc)) from None


def video_fps(library: Library, key, row: int, step: int) -> float:
    """The fps part logged with a video record (4, TensorBoard's default, if there is none)."""
    fps = sibling_value(library, key, row, step, "fps")
    try:
        rate = float(np.asarray(fps)) if fps is not None else 4.0
    except (TypeError, ValueError):
        return 4.0
    return rate if np.isfinite(rate) and rate > 0 else 4.0


def _video_gif(library: Library, key, row: int) -> tuple[bytes, str]:
    record, fp = read_record(library, key, row)
    if key[3] == "file":
        found = lookup_file(library, key[0], _recorded_path(record.value))
        if not found.found:
            raise MediaError(f"video file {found.error}")
        return found.path.read_bytes(), fp
    try:
        return gif_bytes(np.asarray(record.value), video_fps(library, key, row, record.step)), fp
    except (TypeError, ValueError) as exc:
        raise MediaError(str(exc)) from None


def _video_frame_png(library: Library, key, row: int, frame: int) -> tuple[bytes, str]:
    record, fp = read_record(library, key, row)
    if key[3] == "file":
        found = lookup_file(library, key[0], _recorded_path(record.value))
        if not found.found:
            raise MediaError(f"video file {found.error}")
        with Image.open(found.path) as gif:
            if not 0 <= frame < getattr(gif, "n_frames", 1):
                raise MediaError(f"no frame {frame} in this video")
            gif.seek(frame)
            pixels = np.asarray(gif.convert("RGB"))
    else:
        frames = np.asarray(record.value)
        if frames.dtype != np.uint8 or frames.ndim != 4:
            raise MediaError(f"not a video: {frames.dtype} {frames.shape}")
        if not 0 <= frame < len(frames):
            raise MediaError(f"no frame {frame} in this video")
        pixels = frames[frame]
    return png_bytes(pixels), fp


# ------------------------------------------------------------------------------------------------ routes


def register_media_routes(
    server, library: Library, cache: MediaCache | None = None, heavy: HeavyRequests | None = None
) -> MediaCache:
    """Add the media routes to a Flask ``server`` reading from ``library``; returns the cache they use.

    Encoding (a cache miss) holds a slot of ``heavy`` (a new :class:`HeavyRequests` if None): a request that
    finds every slot taken for its whole wait is answered 503 with ``Retry-After``.
    """
    import flask

    cache = cache if cache is not None else MediaCache()
    heavy = heavy if heavy is not None else HeavyRequests()

    def not_found(message: str):
        return flask.Response(message + "\n", status=404, mimetype="text/plain")

    def busy(exc: Busy):
        response = flask.Response(f"{exc}\n", status=503, mimetype="text/plain")
        response.headers["Retry-After"] = str(heavy.retry_after)
        return response

    def answer(make: Callable[[], tuple[bytes, str]], mimetype: str, cache_key):
        args = flask.request.args
        try:
            payload, fp = cache.get_or_make(cache_key, lambda: heavy.run(make))
        except MediaError as exc:
            return not_found(str(exc))
        except Busy as exc:
            return busy(exc)
        response = flask.Response(payload, mimetype=mimetype)
        current = args.get("v") == fingerprint_digest(fp)
        response.headers["Cache-Control"] = IMMUTABLE if current else "no-cache"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.set_etag(hashlib.blake2b(repr(cache_key).encode() + fp.encode(), digest_size=10).hexdigest())
        return response.make_conditional(flask.request)

    def record(token: str):
        key, row = _parse_key(decode_token(token))
        info = library.snapshot.info(key)
        return key, row, (info.fingerprint if info is not None else None)

    @server.route("/media/image/<token>.png")
    def media_image(token):
        try:
            key, row, fp = record(token)
            spec = decode_token(flask.request.args["t"]) if "t" in flask.request.args else None
            if "t" in flask.request.args and spec is None:
                raise MediaError("malformed transform")
            transform = parse_transform(spec)
        except (MediaError, ValueError) as exc:
            return not_found(str(exc))
        return answer(
            lambda: _image_png(library, key, row, transform),
            "image/png",
            ("image", key, row, fp, json.dumps(transform.to_json(), sort_keys=True)),
        )

    def record_route(route: str, ext: str, mimetype: str, make: Callable) -> Callable:
        def view(token):
            try:
                key, row, fp = record(token)
            except MediaError as exc:
                return not_found(str(exc))
            return answer(lambda: make(library, key, row), mimetype, (route, key, row, fp))

        view.__name__ = f"media_{route}"
        server.add_url_rule(f"/media/{route}/<token>.{ext}", view.__name__, view)
        return view

    media_audio = record_route("audio", "wav", "audio/wav", _audio_wav)
    media_video = record_route("video", "gif", "image/gif", _video_gif)

    @server.route("/media/frame/<token>.png")
    def media_frame(token):
        try:
            key, row, fp = record(token)
            frame = int(flask.request.args.get("f", "0"))
        except (MediaError, ValueError) as exc:
            return not_found(str(exc))
        return answer(
            lambda: _video_frame_png(library, key, row, frame), "image/png", ("frame", key, row, fp, frame)
        )

    @server.route("/media/file/<path:recorded>")
    def media_file(recorded):
        source = flask.request.args.get("db", "")
        found = lookup_file(library, source, recorded)
        if not found.found:
            return not_found(f"media file {found.error}")
        response = flask.send_file(  # Cache-Control: no-cache, revalidated by ETag / Last-Modified
            found.path, mimetype=MEDIA_TYPES[found.path.suffix.lower()], conditional=True, etag=True
        )
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response

    ours = {f.__name__ for f in (media_image, media_audio, media_video, media_frame, media_file)}

    @server.before_request
    def media_only():  # anything else under /media/ (e.g. //etc/passwd) is no page of the app either
        if flask.request.path.startswith("/media/") and flask.request.endpoint not in ours:
            return not_found("no such media")
        return None

    return cache
