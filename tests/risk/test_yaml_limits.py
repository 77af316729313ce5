"""Issue 14 (3): YAML from users within limits: a 250-byte alias bomb, deep nesting and oversized texts are
refused cleanly (a YAMLError each reader reports as its own refusal), quickly and without growing memory."""

import time
import tracemalloc

import pytest
import yaml

from smartcustoms import yaml_limits
from smartcustoms.declarations.mapping import IntakeError, load_mapping
from smartcustoms.risk.config import RiskConfigError, load_config
from smartcustoms.risk.profiles import ProfileError, parse_profiles

BOMB = """a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""
# few aliases, each standing for a large node: refused by the expanded size
WIDE = "a: &a [" + ",".join(["x"] * 3000) + "]\nb: [" + ",".join(["*a"] * 19) + "]\n"
DEEP = "a: " + "[" * 200 + "]" * 200 + "\n"
PROFILE = """- profile_id: P-ALIAS
  title: shoes
  purpose: a profile that uses one anchor, as people do
  owner: &owner Enforcement
  lane: yellow
  weight: 50
  valid_from: 2025-01-01
  criteria:
    - field: commodity_code
      prefix: &shoes ["6403"]
- profile_id: P-ALIAS-2
  title: more shoes
  purpose: the same anchor again
  owner: *owner
  lane: yellow
  weight: 40
  valid_from: 2025-01-01
  criteria:
    - field: commodity_code
      prefix: *shoes
"""


@pytest.mark.parametrize("text, words", [(BOMB, "aliases"), (WIDE, "expanded"), (DEEP, "nested"),
                                         ("a: " + "x" * (yaml_limits.MAX_BYTES + 1), "characters")])
def test_profiles_refuse_bombs_quickly_and_with_little_memory(text, words):
    tracemalloc.start()
    started = time.perf_counter()
    with pytest.raises(ProfileError) as refused:
        parse_profiles(text, "bomb.yaml")
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert words in str(refused.value)
    assert seconds < 20 and peak < 50_000_000  # the old code ran for minutes and grew by gigabytes


def test_a_few_aliases_still_work():
    assert yaml_limits.safe_load("a: &x [1, 2]\nb: *x\n") == {"a": [1, 2], "b": [1, 2]}
    assert [p.owner for p in parse_profiles(PROFILE)] == ["Enforcement", "Enforcement"]


@pytest.mark.parametrize("text", [BOMB, WIDE, DEEP])
def test_every_user_yaml_reader_refuses_them(tmp_path, text):
    with pytest.raises(yaml.YAMLError):
        yaml_limits.safe_load(text)
    path = tmp_path / "bomb.yaml"
    path.write_text(text)
    with pytest.raises(IntakeError, match="not valid YAML"):
        load_mapping(str(path))
    with pytest.raises(RiskConfigError):
        load_config(path)


def test_a_recursive_alias_is_refused():
    with pytest.raises(yaml.YAMLError):
        yaml_limits.safe_load("a: &a [*a]\n")
