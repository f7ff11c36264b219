"""Python exceptions for leafx's status codes, carrying leafx's own message."""
from . import _abi


class LeafxError(Exception):
    """A leafx call failed. `status` is the leafx_status code, `message` the text of
    leafx_last_error() (naming the file, argument or offset at fault)."""

    status = None

    def __init__(self, message, status=None):
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status


class InvalidArgumentError(LeafxError, ValueError):
    """LEAFX_ERR_INVALID_ARGUMENT: an argument is out of range, missing or malformed."""
    status = _abi.ERR_INVALID_ARGUMENT


class MisuseError(LeafxError, RuntimeError):
    """LEAFX_ERR_MISUSE: a closed or foreign handle, or a call out of order."""
    status = _abi.ERR_MISUSE


class FileError(LeafxError, OSError):
    """LEAFX_ERR_IO: a file could not be opened or read."""
    status = _abi.ERR_IO


class FormatError(LeafxError, ValueError):
    """LEAFX_ERR_FORMAT: a file was read but its contents are not valid."""
    status = _abi.ERR_FORMAT


class UnsupportedError(LeafxError):
    """LEAFX_ERR_UNSUPPORTED: valid input this build of leafx cannot handle."""
    status = _abi.ERR_UNSUPPORTED


class OutOfMemoryError(LeafxError, MemoryError):
    """LEAFX_ERR_NO_MEMORY: an allocation failed or a size would overflow."""
    status = _abi.ERR_NO_MEMORY


class InternalError(LeafxError, RuntimeError):
    """LEAFX_ERR_INTERNAL: a bug in leafx (please report the message)."""
    status = _abi.ERR_INTERNAL


class CancelledError(LeafxError):
    """LEAFX_CANCELLED: a progress or abort callback asked to stop."""
    status = _abi.CANCELLED


class LibraryNotFoundError(LeafxError, OSError):
    """libleafx could not be found or loaded, or is an incompatible version."""


class UnsupportedOptionError(LeafxError, NotImplementedError, TypeError):
    """An option other Whisper packages have (faster-whisper's word_timestamps, vad_filter)
    that leafx does not support yet; the message says what to use instead. Also a TypeError,
    as an unknown keyword is."""


_BY_STATUS = {cls.status: cls for cls in (
    InvalidArgumentError, MisuseError, FileError, FormatError, UnsupportedError,
    OutOfMemoryError, InternalError, CancelledError)}


def error_for(status, message):
    """The exception for a failed call: its class by status; unknown statuses (a newer
    library) give a plain LeafxError."""
    cls = _BY_STATUS.get(status, LeafxError)
    return cls(message, status)
