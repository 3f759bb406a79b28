"""Typed records across layers; `status --json` keeps the shape DESIGN.md fixes."""

from __future__ import annotations

from magpie.core.records import FailedFile, FolderStatus, Status


def test_status_json_has_the_documented_shape():
    status = Status(
        images=3,
        pending=1,
        folders=[FolderStatus("/p", 3, True, "native")],
        model="m",
        device="cpu",
        device_note="",
        failed=[FailedFile("/p/x.jpg", "not an image")],
    )
    document = status.to_json()
    for key in ("images", "pending", "folders", "model", "device", "failed"):
        assert key in document
    assert document["folders"] == [{"path": "/p", "images": 3, "online": True, "watch": "native"}]
    assert document["failed"] == [{"path": "/p/x.jpg", "error": "not an image"}]
    assert document["images"] == 3 and document["pending"] == 1
    assert Status().to_json()["model"] is None
