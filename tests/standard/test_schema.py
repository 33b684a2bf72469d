"""The published schema is pinned per version: a change without a version bump fails here.

`tests/standard/schema/<version>.json` holds the JSON Schema and the Arrow fields of each released version.
There is deliberately no --update-golden for them: a schema change needs a new version (and a new file),
and the compatibility test checks a minor version only adds optional fields (docs/standard.md).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from liqscope.standard import SCHEMA_ID, VERSION, arrow_description, arrow_schema, json_schema
from liqscope.standard._validate import _KNOWN, errors

PINNED = Path(__file__).parent / "schema"


def _version(text: str) -> tuple[int, int, int]:
    major, minor, patch = (int(x) for x in text.split("."))
    return major, minor, patch


def _current() -> dict[str, object]:
    return {"json_schema": json_schema(), "arrow": arrow_description()}


def test_schema_is_pinned_under_its_version() -> None:
    """The schema equals the file of its own version; changing it means bumping VERSION and adding a file."""
    path = PINNED / f"{VERSION}.json"
    if not path.exists():
        pytest.fail(f"no pinned schema for version {VERSION}: after checking the compatibility rules in "
                    f"docs/standard.md, save `liqscope schema --json` and `--arrow` as {path}")
    pinned = json.loads(path.read_text())
    assert pinned == _current(), (f"the schema changed but its version is still {VERSION}: bump VERSION in "
                                  "src/liqscope/standard/_schema.py (docs/standard.md, compatibility rules)")


def test_id_and_version_agree() -> None:
    schema = json_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["version"] == VERSION and schema["$id"] == SCHEMA_ID and SCHEMA_ID.endswith(f"/{VERSION}.json")
    assert arrow_schema().metadata[b"liqscope.standard.version"] == VERSION.encode()


@pytest.mark.parametrize("older", sorted(p.stem for p in PINNED.glob("*.json")))
def test_each_pinned_version_is_compatible_with_the_current_one(older: str) -> None:
    """Within a major version, every later schema keeps each field as it was and adds only optional ones."""
    old = json.loads((PINNED / f"{older}.json").read_text())
    if _version(older)[0] != _version(VERSION)[0]:
        pytest.skip("another major version: breaking changes are allowed across majors")
    assert _version(older) <= _version(VERSION), f"pinned {older} is newer than the code's {VERSION}"
    new = _current()
    old_props, new_props = old["json_schema"]["properties"], new["json_schema"]["properties"]  # type: ignore[index]
    for name, prop in old_props.items():
        assert name in new_props, f"field {name} of {older} was removed"
        assert {k: v for k, v in new_props[name].items() if k != "description"} == \
               {k: v for k, v in prop.items() if k != "description"}, f"field {name} changed since {older}"
    assert set(new["json_schema"]["required"]) == set(old["json_schema"]["required"]), \
        "a minor version may not change which fields are required"
    assert new["json_schema"]["allOf"] == old["json_schema"]["allOf"]  # type: ignore[index]
    old_arrow = {f["name"]: f for f in old["arrow"]}
    assert all(f == old_arrow[f["name"]] for f in new["arrow"] if f["name"] in old_arrow)  # type: ignore[union-attr]


def test_the_validator_refuses_a_keyword_it_does_not_implement() -> None:
    """The validator implements a subset: a schema that grows a keyword outside it fails loudly, never silently."""
    with pytest.raises(ValueError, match="not implemented"):
        list(errors("x", {"type": "string", "format": "date-time"}))
    used: set[str] = set()

    def walk(node: object) -> None:
        if isinstance(node, dict):
            used.update(node)
            for key in ("properties", "patternProperties"):
                for sub in node.get(key, {}).values():
                    walk(sub)
            for key in ("items", "if", "then", "else"):
                walk(node.get(key))
            for sub in node.get("allOf", []):
                walk(sub)

    walk(json_schema())
    assert used <= _KNOWN, f"the schema uses keywords the validator does not implement: {sorted(used - _KNOWN)}"
