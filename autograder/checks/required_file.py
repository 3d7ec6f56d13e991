"""``required_file``: the notebook must leave a named plain file in its folder.

    [05_cnn.predicciones]
    kind = "required_file"
    path = "predicciones.csv"   # relative to the submission folder
    points = 1
    min_bytes = 1               # optional: an empty file earns nothing
"""

from __future__ import annotations

import os
import stat
from pathlib import PurePosixPath
from typing import Any

from .. import messages as msg
from ..results import Item
from .base import CheckContext, CheckKind

KEYS = {"kind", "path", "points", "min_bytes", "hint"}


class RequiredFile(CheckKind):
    kind = "required_file"

    def parse(self, name: str, table: dict[str, Any], where: str) -> dict[str, Any]:
        unknown = set(table) - KEYS
        if unknown:
            raise ValueError(f"{where} has unknown keys {sorted(unknown)}")
        if "path" not in table or "points" not in table:
            raise ValueError(f"{where} needs ['path', 'points']")
        path = PurePosixPath(table["path"])
        if path.is_absolute() or ".." in path.parts or not path.parts:
            raise ValueError(f"{where} path must be relative, inside the submission folder")
        return {"kind": self.kind, "name": name, "path": str(path), "points": float(table["points"]),
                "min_bytes": int(table.get("min_bytes", 1)), "hint": str(table.get("hint", ""))}

    def files(self, spec: dict[str, Any]) -> list[str]:
        return [spec["path"]]

    def measure(self, spec: dict[str, Any], context: CheckContext, max_points: float | None) -> Item:
        points = spec["points"] if max_points is None else max_points
        path = spec["path"]
        try:  # the folder holds plain files only by now; lstat all the same: no link is followed
            info = os.lstat(context.work / path)
        except OSError:
            message = msg.REQUIRED_FILE_MISSING.format(path=path, hint=spec["hint"] or msg.REQUIRED_FILE_HINT)
            return Item(spec["name"], None, self.kind, 0.0, points, message, value=None, metric="bytes")
        if not stat.S_ISREG(info.st_mode):
            return Item(spec["name"], None, self.kind, 0.0, points, msg.REQUIRED_FILE_NOT_PLAIN.format(path=path),
                        metric="bytes")
        size = float(info.st_size)
        if info.st_size < spec["min_bytes"]:
            message = msg.REQUIRED_FILE_TOO_SMALL.format(path=path, size=info.st_size, min_bytes=spec["min_bytes"])
            return Item(spec["name"], None, self.kind, 0.0, points, message, value=size, metric="bytes")
        message = msg.REQUIRED_FILE_OK.format(path=path, size=info.st_size)
        return Item(spec["name"], None, self.kind, points, points, message, value=size, metric="bytes")
