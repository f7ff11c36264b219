"""Finds and loads libleafx without a compiler: $LEAFX_LIBRARY, then pkg-config, then the
dynamic loader's standard search path (LD_LIBRARY_PATH, the ld.so cache, /usr/lib ...).

ctypes.util.find_library is not used: on Linux it may run gcc or ld to search, which a
machine without build tools does not have."""
import ctypes
import os
import shutil
import subprocess
import threading

from . import _abi
from .errors import LibraryNotFoundError, error_for

SONAME = "libleafx.so.0"

_lock = threading.Lock()
_library = None
_path = None


def _pkg_config_candidate():
    """libdir/libleafx.so.0 as pkg-config reports it, or None."""
    pkg_config = shutil.which("pkg-config")
    if pkg_config is None:
        return None
    try:
        result = subprocess.run([pkg_config, "--variable=libdir", "leafx"],
                                capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    libdir = result.stdout.strip()
    if result.returncode != 0 or not libdir:
        return None
    candidate = os.path.join(libdir, SONAME)
    return candidate if os.path.exists(candidate) else None


def _open(path, origin):
    try:
        library = ctypes.CDLL(path)
    except OSError as error:
        raise LibraryNotFoundError(f"cannot load libleafx from {origin} ({path}): {error}") from None
    try:
        _abi.declare(library)
    except AttributeError as error:
        raise LibraryNotFoundError(
            f"{path} (from {origin}) is not a leafx {_abi.ABI_VERSION}.x library: {error}") from None
    check_version(library, f"{path} (from {origin})")
    return library


def check_version(library, where):
    """Refuses a library of another ABI, or one older than the structs of leafx/_abi.py."""
    abi = library.leafx_abi_version()
    if abi != _abi.ABI_VERSION:
        raise LibraryNotFoundError(f"{where} has ABI version {abi}; this package needs {_abi.ABI_VERSION}")
    number = library.leafx_version_number()
    if number < _abi.MINIMUM_VERSION_NUMBER:
        needed = _abi.MINIMUM_VERSION_NUMBER
        raise LibraryNotFoundError(
            f"{where} is leafx {library.leafx_version().decode()}; this package needs "
            f"{needed // 10000}.{needed // 100 % 100}.{needed % 100} or newer "
            "(an older library would ignore explain()'s verify and method parameters, and transcribe()'s word_timestamps)")


def _find():
    explicit = os.environ.get("LEAFX_LIBRARY")
    if explicit:
        # An explicit choice is never silently replaced by another library.
        return _open(explicit, "$LEAFX_LIBRARY"), explicit
    tried = ["$LEAFX_LIBRARY (unset)"]
    candidate = _pkg_config_candidate()
    if candidate is not None:
        return _open(candidate, "pkg-config"), candidate
    tried.append("pkg-config --variable=libdir leafx (no leafx.pc found)")
    try:
        return _open(SONAME, "the standard library path"), SONAME
    except LibraryNotFoundError as error:
        tried.append(str(error))
    raise LibraryNotFoundError(
        "libleafx not found; tried " + "; ".join(tried)
        + ". Install leafx (`make install PREFIX=...`) and set LEAFX_LIBRARY to its lib/libleafx.so.0, "
        "add PREFIX/lib/pkgconfig to PKG_CONFIG_PATH, or PREFIX/lib to LD_LIBRARY_PATH")


def library():
    """The loaded library (loaded on first use, once per process)."""
    global _library, _path
    with _lock:
        if _library is None:
            _library, _path = _find()
        return _library


def library_path():
    """The path (or soname) the library was loaded from."""
    library()
    return _path


def last_error():
    message = library().leafx_last_error()
    return message.decode("utf-8", "replace") if message else ""


def check(status):
    """Raises the exception for a non-zero leafx_status, with leafx's message. Must be called
    right after the failing call, on the same thread (the message is per thread and lasts
    until the next leafx call)."""
    if status != _abi.OK:
        message = last_error()
        if not message:
            text = library().leafx_status_string(status)
            message = text.decode() if text else f"leafx status {status}"
        raise error_for(status, message)
