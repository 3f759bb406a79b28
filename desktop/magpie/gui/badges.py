"""Badges over a thumbnail: a play mark and the time for a video moment, RAW/LIVE for pairs."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QPointF, QRect, Qt
from PySide6.QtGui import QColor, QPainter, QPolygonF

from magpie.core.pairs import companion_label
from magpie.core.video import format_time, is_video
from magpie.gui.item_models import CompanionsRole, PathRole, TimeRole

_BACK = QColor(0, 0, 0, 160)
_FORE = QColor(255, 255, 255)


def badge_text(index: QModelIndex | QPersistentModelIndex) -> tuple[bool, str, str]:
    """(is a video, its time text or "", the companions' label or "")."""
    path = index.data(PathRole) or ""
    seconds = index.data(TimeRole)
    label = companion_label(index.data(CompanionsRole) or [])
    video = is_video(path) and not label  # a Live Photo shows as its still
    return video, format_time(seconds) if video and seconds is not None else "", label


def paint_badges(
    painter: QPainter, picture: QRect, index: QModelIndex | QPersistentModelIndex
) -> None:
    video, when, label = badge_text(index)
    if not (video or label):
        return
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    metrics = painter.fontMetrics()
    height = metrics.height() + 4
    if video:
        # a round play mark in the middle, the moment's time bottom-left
        radius = max(10, min(picture.width(), picture.height()) // 8)
        centre = QPointF(picture.center())
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(_BACK)
        painter.drawEllipse(centre, radius, radius)
        painter.setBrush(_FORE)
        r = radius * 0.5
        painter.drawPolygon(
            QPolygonF(
                [
                    QPointF(centre.x() - r * 0.6, centre.y() - r),
                    QPointF(centre.x() - r * 0.6, centre.y() + r),
                    QPointF(centre.x() + r, centre.y()),
                ]
            )
        )
        if when:
            _pill(painter, picture.left() + 3, picture.bottom() - height - 2, when, height)
    if label:
        width = metrics.horizontalAdvance(label) + 8
        _pill(painter, picture.right() - width - 3, picture.top() + 3, label, height)
    painter.restore()


def _pill(painter: QPainter, x: int, y: int, text: str, height: int) -> None:
    width = painter.fontMetrics().horizontalAdvance(text) + 8
    box = QRect(x, y, width, height)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(_BACK)
    painter.drawRoundedRect(box, 4, 4)
    painter.setPen(_FORE)
    painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)
