"""One app window per library: a second launch hands over to the running one and exits.

The first instance listens on a local socket named after the library (QLocalServer); a
later one connects, asks it to come forward, and quits instead of opening a second,
read-only window.
"""

from __future__ import annotations

import getpass
import hashlib

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

CONNECT_MS = 1000
RAISE = b"raise\n"


def server_name(library_root: str) -> str:
    """Per user and library, short enough for a Unix socket path."""
    digest = hashlib.sha256(f"{getpass.getuser()}\0{library_root}".encode()).hexdigest()
    return f"magpie-{digest[:24]}"


class SingleInstance(QObject):
    activated = Signal()  # another launch asked this one to come forward

    def __init__(self, library_root: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = server_name(library_root)
        self.server: QLocalServer | None = None

    def forward(self) -> bool:
        """Ask a running instance to come forward; False when none answers."""
        socket = QLocalSocket()
        socket.connectToServer(self.name)
        if not socket.waitForConnected(CONNECT_MS):
            return False
        socket.write(RAISE)
        socket.waitForBytesWritten(CONNECT_MS)
        socket.disconnectFromServer()
        return True

    def listen(self) -> bool:
        """Become the instance others forward to (a socket left by a crash is replaced)."""
        server = QLocalServer(self)
        server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        if not server.listen(self.name):
            QLocalServer.removeServer(self.name)  # nobody answered forward(): it is stale
            if not server.listen(self.name):
                return False
        server.newConnection.connect(self._connected)
        self.server = server
        return True

    def _connected(self) -> None:
        assert self.server is not None
        while (socket := self.server.nextPendingConnection()) is not None:
            socket.readyRead.connect(lambda s=socket: self._read(s))
            socket.disconnected.connect(socket.deleteLater)
            if socket.bytesAvailable():
                self._read(socket)

    def _read(self, socket: QLocalSocket) -> None:
        if RAISE.strip() in bytes(socket.readAll().data()):
            self.activated.emit()

    def close(self) -> None:
        if self.server is not None:
            self.server.close()
            self.server = None
