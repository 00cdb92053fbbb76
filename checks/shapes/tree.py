"""shape_tree: a shape as rows for rendering the baseline as a readable, indented tree."""

from __future__ import annotations

from typing import Any, Final

from .diff import render_path
from .nodes import ARRAY, MAP, MAX_SHAPE_DEPTH, OBJECT, Nodes, Shape

_MAX_ROWS: Final = 5_000


def shape_tree(shape: Shape) -> list[dict[str, Any]]:
    """Rows in document order: {"path", "depth", "name", "types", "optional", "nullable"}.

    The root is "$"; object keys sorted; "[*]" rows for array elements and "*" for map values.
    At most 5,000 rows (a shape is bounded, but a hand-written one need not be).
    """
    nodes = Nodes()
    rows: list[dict[str, Any]] = []
    stack: list[tuple[int, tuple, str, bool]] = [(nodes.parse(shape), (), "$", False)]
    while stack and len(rows) < _MAX_ROWS:
        node, segments, name, optional = stack.pop()
        nullable, _, variants = nodes.sigs[node]
        rows.append(
            {
                "path": render_path(segments),
                "depth": len(segments),
                "name": name,
                "types": nodes.type_name(node),
                "optional": optional,
                "nullable": nullable,
            }
        )
        if len(segments) >= MAX_SHAPE_DEPTH:
            continue
        children: list[tuple[int, tuple, str, bool]] = []
        for variant in variants:
            if variant[0] == OBJECT:
                optional_keys = set(variant[2])
                for key, child in variant[1]:
                    children.append((child, (*segments, ("k", key)), key, key in optional_keys))
            elif variant[0] == ARRAY:
                children.append((variant[1], (*segments, ("a",)), "[*]", False))
            elif variant[0] == MAP:
                children.append((variant[1], (*segments, ("m",)), "*", False))
        stack.extend(reversed(children))
    return rows
