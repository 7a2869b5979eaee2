"""Files: audio through soundfile, metadata as JSON, written atomically.

The only module that imports soundfile. Every file is written under a temporary name
in its destination folder and renamed into place only when all the files of a set
are complete (:class:`OutputSet`), so an error or an interruption leaves no
half-written file under a final name, and an existing file is never replaced unless
``overwrite`` is asked for.
"""

from __future__ import annotations

import io as _io
import json
import math
import os
import re
import socket
import tempfile
import unicodedata
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import soundfile

from .audio import ClippingError
from .parameters import check_choice

__all__ = ["FORMATS", "MAX_NAME_LENGTH", "PLAIN_NAME", "SUBTYPES", "TAGS",
           "FolderInTheWayError", "OutputExistsError", "OutputSet", "audio_bytes",
           "audio_tags", "check_format", "is_plain_name", "read_audio", "to_json",
           "write_audio", "write_json"]

FORMATS = ("wav", "flac")
"""Audio file formats."""

SUBTYPES = {"wav": ("PCM_16", "PCM_24", "FLOAT"), "flac": ("PCM_16", "PCM_24")}
"""Sample formats each file format can hold."""


def check_format(file_format: str, subtype: str) -> tuple[str, str]:
    """Return ``(file_format, subtype)`` if the pair is writable, else raise ``ValueError``."""
    check_choice("format", file_format, FORMATS)
    check_choice(f"subtype for {file_format}", subtype, SUBTYPES[file_format])
    return file_format, subtype


def _check_samples(samples: np.ndarray) -> None:
    if not np.all(np.isfinite(samples)):
        raise ValueError("audio samples hold NaN or infinite values; nothing written")
    peak = float(np.max(np.abs(samples))) if samples.size else 0.0
    if peak > 1.0:
        raise ClippingError(f"audio samples peak at {peak:.4g}, above digital full scale 1;"
                            " they would clip: nothing written")


#: Text tags a file may carry (``soundfile``'s names): WAV holds them in its RIFF
#: ``LIST``/``INFO`` chunk (``INAM``, ``ISFT``, ``IGNR``, ``ICMT``), FLAC as Vorbis comments.
TAGS = ("title", "software", "genre", "comment")
#: Longest tag [characters]: libsndfile drops a longer WAV comment without a word.
MAX_TAG_CHARACTERS = 2000


def write_audio(path: str | os.PathLike, samples: np.ndarray, samplerate_hz: int, *,
                file_format: str = "wav", subtype: str = "PCM_24",
                tags: Mapping[str, str] | None = None) -> None:
    """Write digital samples in [-1, 1] to an audio file (not atomic by itself).

    Parameters
    ----------
    path : path-like
        Destination.
    samples : ndarray
        ``(n,)`` or ``(n, channels)`` samples in [-1, 1].
    samplerate_hz : int
        Sample rate [Hz].
    file_format : {"wav", "flac"}, optional
        Container.
    subtype : {"PCM_16", "PCM_24", "FLOAT"}, optional
        Sample format (FLAC holds PCM only).
    tags : mapping of str to str, optional
        Text embedded in the file (:data:`TAGS`), each at most
        :data:`MAX_TAG_CHARACTERS`.

    Raises
    ------
    ClippingError
        If a sample is outside [-1, 1]: never clipped silently.
    ValueError
        On NaN or infinity, an unknown format, subtype or tag, or a tag too long.
    """
    Path(path).write_bytes(audio_bytes(samples, samplerate_hz, file_format=file_format,
                                       subtype=subtype, tags=tags))


def audio_bytes(samples: np.ndarray, samplerate_hz: int, *, file_format: str = "wav",
                subtype: str = "PCM_16", tags: Mapping[str, str] | None = None) -> bytes:
    """An audio file in memory (for a notebook's player, or to hash before writing);
    arguments and errors as :func:`write_audio`."""
    check_format(file_format, subtype)
    _check_samples(samples)
    tags = dict(tags or {})
    for key, text in tags.items():
        if key not in TAGS:
            raise ValueError(f"tag {key!r} is not one of {', '.join(TAGS)}")
        if len(text) > MAX_TAG_CHARACTERS:
            raise ValueError(f"tag {key} has {len(text)} characters; at most"
                             f" {MAX_TAG_CHARACTERS}")
    buffer = _io.BytesIO()
    channels = 1 if samples.ndim == 1 else samples.shape[1]
    with soundfile.SoundFile(buffer, "w", samplerate_hz, channels, subtype=subtype,
                             format=file_format.upper()) as handle:
        for key, text in tags.items():
            setattr(handle, key, text)
        handle.write(samples)
    return buffer.getvalue()


def audio_tags(path: str | os.PathLike) -> dict[str, str]:
    """The text tags of an audio file (:data:`TAGS` and any others it holds)."""
    with soundfile.SoundFile(os.fspath(path)) as handle:
        return handle.copy_metadata()


def read_audio(path: str | os.PathLike) -> tuple[np.ndarray, int, str]:
    """Read an audio file: ``(samples, samplerate_hz, subtype)``."""
    samples, samplerate = soundfile.read(os.fspath(path), always_2d=False)
    return samples, samplerate, soundfile.info(os.fspath(path)).subtype


def to_json(value: Any) -> Any:
    """A JSON-ready copy of ``value``: arrays become lists, NaN and infinity ``None``."""
    # The commonest kinds first: a run's metadata holds thousands of numbers.
    if isinstance(value, (float, np.floating)):
        number = float(value)
        return number if math.isfinite(number) else None
    if isinstance(value, (str, int, type(None))):
        return value
    if isinstance(value, Mapping):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    if isinstance(value, np.ndarray):
        return to_json(value.tolist())
    if isinstance(value, (np.integer, np.bool_)):
        return value.item()
    return value


def write_json(path: str | os.PathLike, data: dict, *, indent: int | None = 2) -> None:
    """Write ``data`` as key-ordered JSON, indented by ``indent`` spaces (None: one line,
    which the C encoder writes ten times faster); not atomic by itself."""
    text = json.dumps(to_json(data), indent=indent, sort_keys=True, allow_nan=False)
    Path(path).write_text(text + "\n", encoding="utf-8")


def _ordinary_file_mode() -> int:
    """Permissions of a newly created file under the current umask (0644 usually)."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


#: This machine's name as staging files carry it: letters, digits and hyphens.
_HOST = re.sub(r"[^A-Za-z0-9-]", "-", socket.gethostname())[:32] or "host"
#: A staging file: ``.<final name>.<host>.<pid of its writer>.<8 random>.part``.
_STAGED = re.compile(r"^\.(?P<final>.+)\.(?P<host>[A-Za-z0-9-]+)\.(?P<pid>\d{1,10})"
                     r"\.[a-z0-9_]{8}\.part$")


def _alive(pid: int) -> bool:
    """Whether a process ``pid`` exists and can still write (it may be another's that
    reused the number). A zombie, one that has ended and is not yet reaped (a batch's
    killed workers are, for a second or two), writes nothing more: not alive."""
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, OverflowError):  # gone, or no process could have it
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    try:  # Linux: the state follows the name, which is in parentheses
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:  # not Linux, or gone meanwhile
        return True
    return stat[stat.rfind(")") + 2:][:1] != "Z"


def remove_stale_parts(folder: str | os.PathLike) -> list[Path]:
    """Remove the staging files that a writer killed mid-write left in ``folder``.

    Only files named as :meth:`OutputSet.stage` names them, written on this machine,
    and only those whose writer process is gone: another live writer's files (here or,
    in a shared folder, on another machine), and any other file (a user's
    ``.notes.part``), are left alone. On Windows, where a process cannot be asked
    whether it lives without signalling it, nothing is removed. Returns the files
    removed.
    """
    removed: list[Path] = []
    if os.name == "nt":
        return removed
    for path in Path(folder).glob(".*.part"):
        match = _STAGED.match(path.name)
        if match and match["host"] == _HOST and not _alive(int(match["pid"])):
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed


#: Longest file name a name may give (it also gets an extension and, while it is
#: written, a staging prefix and suffix; file systems allow 255 bytes).
MAX_NAME_LENGTH = 200
#: What :func:`is_plain_name` asks of a name, for messages.
PLAIN_NAME = ("a plain file name: no path separators or control characters, not empty,"
              f" not starting with '.', '=', '+', '-' or '@', at most {MAX_NAME_LENGTH}"
              " characters")


def is_plain_name(name: str) -> bool:
    """Whether ``name`` is a file's name inside its folder that no program misreads: not
    a path, not hidden, not an option (``-``) or a spreadsheet's formula (``=+-@``), no
    control characters, at most :data:`MAX_NAME_LENGTH` characters."""
    return bool(name) and name[0] not in ".=+-@" and not any(c in name for c in "/\\:") \
        and not any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in name) \
        and len(name) <= MAX_NAME_LENGTH


class OutputExistsError(FileExistsError):
    """An output file exists and overwriting was not asked for."""


class FolderInTheWayError(OutputExistsError):
    """A folder stands where an output file is to go: nothing can overwrite it."""


class OutputSet:
    """Files that appear together or not at all.

    Use :meth:`stage` inside ``with OutputSet(...)`` to get a temporary path for each
    final path; the files are renamed into place when the block ends without error,
    and removed when it raises. Existing final files are refused up front unless
    ``overwrite`` is true; a folder where a final file is to go, always.

    Parameters
    ----------
    finals : iterable of path-like
        Every file the set will write.
    overwrite : bool, optional
        Replace files that already exist.
    """

    def __init__(self, finals: Sequence[str | os.PathLike], *, overwrite: bool = False) -> None:
        self.finals = [Path(p) for p in finals]
        self.overwrite = overwrite
        self._staged: dict[Path, Path] = {}
        folders = [str(p) for p in self.finals if p.is_dir()]
        if folders:  # no file can replace a folder, and a set must appear whole
            raise FolderInTheWayError(f"{', '.join(folders)}: a folder where a file is to go;"
                                    " nothing written")
        if not overwrite:
            existing = [str(p) for p in self.finals if p.exists()]
            if existing:
                raise OutputExistsError(f"{', '.join(existing)} already exist(s); nothing"
                                        " written")

    def stage(self, final: str | os.PathLike) -> Path:
        """A temporary path, in the final file's folder, to write ``final`` into."""
        final = Path(final)
        if final not in self.finals:
            raise ValueError(f"{final} is not one of this set's files")
        final.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=f".{final.name}.{_HOST}.{os.getpid()}.",
                                    suffix=".part", dir=final.parent)
        os.close(fd)
        self._staged[final] = Path(temp)
        return Path(temp)

    def __enter__(self) -> OutputSet:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            missing = [str(p) for p in self.finals if p not in self._staged]
            if missing:
                self._discard()
                raise RuntimeError(f"output set incomplete, nothing written: {missing}")
            mode = _ordinary_file_mode()
            try:
                for final in self.finals:  # in the order given: the last vouches for all
                    temp = self._staged[final]
                    os.chmod(temp, mode)  # mkstemp makes files private (0600)
                    os.replace(temp, final)
            except OSError:  # no staged file is left behind (those in place stay)
                self._discard()
                raise
        else:
            self._discard()

    def _discard(self) -> None:
        for temp in self._staged.values():
            temp.unlink(missing_ok=True)

