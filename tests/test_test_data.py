"""The stand-alone test data (tests/data) and the tool that regenerates it."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "tests" / "data"


def _tool(name: str) -> Any:
    path = REPO / "tools" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_everything_the_tests_read_is_in_the_repository() -> None:
    for name in ("o2_vectors.json", "o2_v05_vectors.json", "README.md"):
        assert (DATA / "vectors" / name).is_file(), name
    assert (DATA / "abi_error_enums.json").is_file()
    assert (DATA / "README.md").is_file()
    v05 = json.loads((DATA / "vectors" / "o2_v05_vectors.json").read_text())
    assert v05["_meta"]["generator"].endswith("(o2-sdk 0.5.0)")
    assert "depth_book_0_5_0" in v05  # copied for the depth book change, not tested here


def test_the_sync_tool_has_a_help() -> None:
    out = subprocess.run(
        [sys.executable, str(REPO / "tools" / "sync_test_data.py"), "--help"],
        capture_output=True, text=True, check=True,
    )
    assert "--verify-official" in out.stdout and "--check" in out.stdout


def _synthetic_abi() -> dict[str, Any]:
    return {
        "concreteTypes": [
            {"concreteTypeId": "c1", "type": "enum demo::DemoError", "metadataTypeId": 1},
            {"concreteTypeId": "c2", "type": "struct demo::Event", "metadataTypeId": 2},
        ],
        "metadataTypes": [
            {"metadataTypeId": 1, "components": [{"name": "First"}, {"name": "Second"}]},
            {"metadataTypeId": 2, "components": [{"name": "field"}]},
        ],
        "loggedTypes": [
            {"logId": "18446744073709551615", "concreteTypeId": "c1"},
            {"logId": "7", "concreteTypeId": "c2"},
        ],
    }


def test_the_sync_tool_copies_vectors_and_derives_the_abi_table(tmp_path: Path) -> None:
    sync = _tool("sync_test_data")
    (tmp_path / "vectors").mkdir()
    (tmp_path / "abi").mkdir()
    for name in ("o2_vectors.json", "o2_v05_vectors.json", "README.md"):
        (tmp_path / "vectors" / name).write_bytes(b"copy of " + name.encode())
    (tmp_path / "abi" / "demo-abi.json").write_text(json.dumps(_synthetic_abi()))
    files = sync.planned_files(tmp_path)
    for name in ("o2_vectors.json", "o2_v05_vectors.json", "README.md"):
        assert files[DATA / "vectors" / name] == b"copy of " + name.encode()
    enums = json.loads(files[DATA / "abi_error_enums.json"])
    (entry,) = enums["files"].values()
    assert entry["logged_enums"] == [
        {"log_id": "18446744073709551615", "type": "enum demo::DemoError",
         "variants": ["First", "Second"]}
    ]
    rendered = files[REPO / "o2_core" / "abi_errors.py"].decode()
    assert "18446744073709551615: (\n        'demo::DemoError'," in rendered
    gen = _tool("gen_abi_errors")
    assert gen.table_from_data(enums) == {18446744073709551615: ("demo::DemoError",
                                                                 ("First", "Second"))}


def test_a_log_id_naming_two_enums_is_refused() -> None:
    gen = _tool("gen_abi_errors")
    data = {"files": {
        "a.json": {"logged_enums": [{"log_id": "1", "type": "enum A", "variants": ["X"]}]},
        "b.json": {"logged_enums": [{"log_id": "1", "type": "enum B", "variants": ["X"]}]},
    }}
    with pytest.raises(ValueError, match="logId 1 names two different enums"):
        gen.table_from_data(data)
