"""The acker of the in-process runner: tuple trees as Storm's ``__acker`` tracks them.

A spout tuple emitted with a message id starts a tree. Every tuple delivered to a bolt joins
the trees of the tuples it was anchored to; the tree completes when every tuple in it has been
acked, and fails as soon as one of them fails (or when the runner times the tree out). Then
``on_close(spout task, message id, failed)`` runs once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

__all__ = ["Acker", "Tree"]


class Tree:
    """One spout tuple's tree: the spout task, the message id and the tuples still open."""

    __slots__ = ("msg_id", "open", "spout_task")

    def __init__(self, spout_task: int, msg_id: Any) -> None:
        self.spout_task = spout_task
        self.msg_id = msg_id
        self.open: set[str] = set()


class Acker:
    """Open trees and which trees each delivered tuple belongs to."""

    def __init__(self, on_close: Callable[[int, Any, bool], None]) -> None:
        self._on_close = on_close
        self._trees: dict[int, Tree] = {}
        self._tuple_trees: dict[str, list[Tree]] = {}

    def start(self, spout_task: int, msg_id: Any) -> Tree:
        """A new tree for a spout tuple emitted with ``msg_id``."""
        tree = Tree(spout_task, msg_id)
        self._trees[id(tree)] = tree
        return tree

    def trees_of(self, anchors: Iterable[str]) -> list[Tree]:
        """The open trees the tuples ``anchors`` belong to (an anchored emit joins them)."""
        trees: list[Tree] = []
        for anchor in anchors:
            for tree in self._tuple_trees.get(anchor, []):
                if id(tree) in self._trees and tree not in trees:
                    trees.append(tree)
        return trees

    def add(self, tup_id: str, trees: list[Tree]) -> None:
        """Tuple ``tup_id`` was delivered as part of ``trees``."""
        if trees:
            self._tuple_trees[tup_id] = trees
            for tree in trees:
                tree.open.add(tup_id)

    def done(self, tup_id: str, *, failed: bool) -> None:
        """A bolt acked (or failed) ``tup_id``: complete or fail the trees it was in."""
        for tree in self._tuple_trees.pop(tup_id, []):
            if id(tree) not in self._trees:
                continue  # the tree already failed
            tree.open.discard(tup_id)
            if failed or not tree.open:
                self.close(tree, failed=failed)

    def close(self, tree: Tree, *, failed: bool) -> None:
        """End ``tree`` (acked or failed) and tell the spout."""
        del self._trees[id(tree)]
        self._on_close(tree.spout_task, tree.msg_id, failed)

    def open_trees(self) -> Iterator[Tree]:
        """The trees neither acked nor failed yet (a copy: closing them while iterating is fine)."""
        return iter(list(self._trees.values()))
