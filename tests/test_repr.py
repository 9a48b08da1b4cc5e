"""Printing matches PyTorch character for character. The expected strings in
data/repr_pytorch.json were produced by real PyTorch from the same expressions."""
import json
from pathlib import Path

import pytest

import ferrotorch as T

CASES = json.loads((Path(__file__).parent / "data" / "repr_pytorch.json").read_text())["cases"]


@pytest.mark.parametrize("name", sorted(CASES))
def test_repr_matches_pytorch_output(name):
    case = CASES[name]
    v = eval(case["expr"])
    assert (v if isinstance(v, str) else repr(v)) == case["repr"]
