"""The system libraries Qt's X11 (xcb) plugin needs, checked before Qt is imported.

Without them Qt prints its own text and aborts (and a double-clicked app shows nothing), so
the launcher checks first and says which packages to install, on stderr and in a desktop
notification that needs no Qt. The frozen bundle carries the `bundled` ones
(build_installer.spec); the OpenGL ones belong to the graphics driver and are never bundled.
No Qt import here: this runs exactly when Qt cannot start.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Callable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class SystemLibrary:
    soname: str
    debian: str  # Debian and Ubuntu package
    fedora: str
    bundled: bool = True  # the frozen app carries it


# what PySide6's libqxcb.so and libQt6XcbQpa.so link (ldd), with the packages that hold them
XCB_LIBRARIES: tuple[SystemLibrary, ...] = (
    SystemLibrary("libxcb-cursor.so.0", "libxcb-cursor0", "xcb-util-cursor"),
    SystemLibrary("libxcb-icccm.so.4", "libxcb-icccm4", "xcb-util-wm"),
    SystemLibrary("libxcb-keysyms.so.1", "libxcb-keysyms1", "xcb-util-keysyms"),
    SystemLibrary("libxcb-image.so.0", "libxcb-image0", "xcb-util-image"),
    SystemLibrary("libxcb-render-util.so.0", "libxcb-render-util0", "xcb-util-renderutil"),
    SystemLibrary("libxcb-util.so.1", "libxcb-util1", "xcb-util"),
    SystemLibrary("libxkbcommon-x11.so.0", "libxkbcommon-x11-0", "libxkbcommon-x11"),
    SystemLibrary("libxkbcommon.so.0", "libxkbcommon0", "libxkbcommon"),
    SystemLibrary("libxcb-randr.so.0", "libxcb-randr0", "libxcb"),
    SystemLibrary("libxcb-shape.so.0", "libxcb-shape0", "libxcb"),
    SystemLibrary("libxcb-shm.so.0", "libxcb-shm0", "libxcb"),
    SystemLibrary("libxcb-sync.so.1", "libxcb-sync1", "libxcb"),
    SystemLibrary("libxcb-xfixes.so.0", "libxcb-xfixes0", "libxcb"),
    SystemLibrary("libxcb-xkb.so.1", "libxcb-xkb1", "libxcb"),
    SystemLibrary("libxcb-render.so.0", "libxcb-render0", "libxcb"),
    SystemLibrary("libX11-xcb.so.1", "libx11-xcb1", "libX11-xcb"),
    # the X server connection itself and OpenGL come with every desktop's graphics stack
    SystemLibrary("libxcb.so.1", "libxcb1", "libxcb", bundled=False),
    SystemLibrary("libGL.so.1", "libgl1", "libglvnd-glx", bundled=False),
    SystemLibrary("libEGL.so.1", "libegl1", "libglvnd-egl", bundled=False),
)


def uses_xcb(env: Mapping[str, str], platform: str = sys.platform) -> bool:
    """Whether Qt will open its window through X11 (xcb) in this environment."""
    if not platform.startswith("linux"):
        return False
    chosen = env.get("QT_QPA_PLATFORM", "")
    if chosen:
        return chosen.split(";")[0].split(":")[0] == "xcb"
    return bool(env.get("DISPLAY")) and not env.get("WAYLAND_DISPLAY")


def _loads(soname: str) -> bool:
    try:
        ctypes.CDLL(soname)  # the loader's own search: system paths and LD_LIBRARY_PATH
    except OSError:
        return False
    return True


def missing_libraries(loads: Callable[[str], bool] | None = None) -> list[SystemLibrary]:
    loads = loads or _loads
    return [lib for lib in XCB_LIBRARIES if not loads(lib.soname)]


def explain(missing: list[SystemLibrary]) -> str:
    """What is missing and the command that installs it, for Debian/Ubuntu and Fedora."""
    debian = " ".join(dict.fromkeys(lib.debian for lib in missing))
    fedora = " ".join(dict.fromkeys(lib.fedora for lib in missing))
    names = ", ".join(lib.soname for lib in missing)
    return (
        f"Magpie cannot open its window: system libraries that Qt needs for X11 are missing "
        f"({names}). Install them, then start Magpie again. "
        f"Debian or Ubuntu: sudo apt install {debian}. Fedora: sudo dnf install {fedora}."
    )


def notify(title: str, text: str) -> str | None:
    """Show `text` on the desktop without Qt; returns the tool used, or None if none could."""
    for tool, args in (
        ("notify-send", ["--urgency=critical", "--app-name=Magpie", title, text]),
        ("zenity", ["--error", f"--title={title}", f"--text={text}", "--no-markup"]),
        ("kdialog", ["--title", title, "--error", text]),
        ("xmessage", ["-center", f"{title}\n\n{textwrap.fill(text, 72)}"]),  # no wrapping
    ):
        path = shutil.which(tool)
        if path is None:
            continue
        try:
            # notify-send returns at once; the dialogs stay until closed, so never wait on them
            process = subprocess.Popen(
                [path, *args],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
        except OSError:
            continue
        if tool != "notify-send":
            return tool
        try:
            if process.wait(timeout=5) == 0:
                return tool
        except subprocess.TimeoutExpired:
            return tool
    return None


def check_display_libraries(env: Mapping[str, str] | None = None) -> str | None:
    """None when Qt can start here; else the explanation, already shown on the desktop."""
    env = os.environ if env is None else env
    if not uses_xcb(env):
        return None
    missing = missing_libraries()
    if not missing:
        return None
    message = explain(missing)
    notify("Magpie cannot start", message)
    return message
