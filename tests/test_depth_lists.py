"""DepthSnapshot sides are lists (as o2-sdk's) that cannot change (shared by consumers);
DepthBook is importable from o2_core.models and o2_core, as in o2-sdk."""

from __future__ import annotations

import copy
import json
import pickle

import pytest

import o2_core
from o2_core import book, models
from o2_core.depth import DepthLevel, DepthSnapshot, DepthUpdate, FrozenList
from o2_core.frames import decode_frame
from o2_core.replies import decode_depth

MID = "0x" + "ab" * 32
LEVELS = [{"price": "101", "quantity": "3"}, {"price": "100", "quantity": "5"}]


def _snapshots() -> list[DepthSnapshot]:
    frame = decode_frame(json.dumps(
        {"action": "subscribe_depth", "market_id": MID, "view": {"buys": LEVELS, "sells": []}}
    ))
    assert isinstance(frame, DepthUpdate) and isinstance(frame.changes, DepthSnapshot)
    return [
        decode_depth(json.dumps({"market_id": MID, "orders": {"buys": LEVELS}}).encode()),
        DepthSnapshot.from_dict({"market_id": MID, "orders": {"buys": LEVELS}}),
        DepthUpdate.from_dict({"action": "subscribe_depth", "market_id": MID,
                               "view": {"buys": LEVELS}}).changes,  # type: ignore[list-item]
        frame.changes,
        DepthSnapshot((DepthLevel(101, 3), DepthLevel(100, 5)), (), MID),
        DepthSnapshot([DepthLevel(101, 3), DepthLevel(100, 5)], market_id=MID),
    ]


@pytest.mark.parametrize("snapshot", _snapshots(), ids=["rest", "from_dict", "update.from_dict",
                                                        "frame", "tuples", "lists"])
def test_every_way_to_a_snapshot_gives_immutable_lists(snapshot: DepthSnapshot) -> None:
    for side in (snapshot.bids, snapshot.asks, snapshot.buys, snapshot.sells):
        assert isinstance(side, list) and type(side) is FrozenList
    assert snapshot.bids == [DepthLevel(101, 3), DepthLevel(100, 5)] and snapshot.asks == []
    assert snapshot.best_bid == DepthLevel(101, 3) and snapshot.best_ask is None
    assert snapshot.to_dict()["buys"] == [{"price": 101, "quantity": 3},
                                          {"price": 100, "quantity": 5}]


def test_a_snapshot_side_refuses_every_mutation() -> None:
    bids = _snapshots()[0].bids
    assert isinstance(bids, FrozenList)
    level = DepthLevel(1, 1)
    for mutate in (
        lambda: bids.append(level), lambda: bids.extend([level]), lambda: bids.insert(0, level),
        lambda: bids.pop(), lambda: bids.remove(bids[0]), lambda: bids.clear(),
        lambda: bids.sort(), lambda: bids.reverse(), lambda: bids.__setitem__(0, level),
        lambda: bids.__delitem__(0), lambda: bids.__iadd__([level]), lambda: bids.__imul__(2),
    ):
        with pytest.raises(TypeError, match="immutable"):
            mutate()
    assert bids == [DepthLevel(101, 3), DepthLevel(100, 5)]  # unchanged
    copied = bids.__add__([level])  # concatenation makes an ordinary list
    assert type(copied) is list and len(copied) == 3
    assert type(bids[:1]) is list


def test_snapshots_hash_compare_copy_and_pickle() -> None:
    a, b = _snapshots()[:2]
    assert a == b and hash(a) == hash(b)
    assert hash(a.bids) == hash(tuple(a.bids))
    for clone in (copy.copy(a), copy.deepcopy(a), pickle.loads(pickle.dumps(a))):
        assert clone == a and type(clone.bids) is FrozenList
    assert repr(a.bids).startswith("[DepthLevel(")


def test_depth_book_is_an_official_model_name() -> None:
    assert models.DepthBook is book.DepthBook is o2_core.DepthBook
    depth_book = models.DepthBook()
    depth_book.apply(DepthUpdate.from_dict(
        {"action": "subscribe_depth", "market_id": MID, "view": {"buys": LEVELS}}))
    assert depth_book.best_bid == 101 and depth_book.bids == {101: 3, 100: 5}
