"""torch.save / torch.load and safetensors.

References: files written by PyTorch (tests/data/make_serialization_fixtures.py),
zip archives and pickles built here opcode by opcode, and the safetensors
reference implementation's own test vectors."""
import argparse
import collections
import io
import math
import os
import pickle
import pickletools
import struct
import zipfile
from pathlib import Path

import numpy as np
import pytest

import ferrotorch as torch
from ferrotorch import _zip_archive

DATA = Path(__file__).parent / "data"
Point = collections.namedtuple("Point", "x y")


class MyTensor(torch.Tensor):
    pass


def roundtrip(obj, **load_kwargs):
    buf = io.BytesIO()
    torch.save(obj, buf)
    buf.seek(0)
    return torch.load(buf, **load_kwargs)


def bf16_from_bits(bits):
    return (np.array(bits, dtype=np.uint32) << 16).view(np.float32).tolist()


# ---- hand-built checkpoints --------------------------------------------------

def g(module, name):
    return b"c" + f"{module}\n{name}\n".encode()


def s(text):
    raw = text.encode()
    return b"X" + struct.pack("<I", len(raw)) + raw


def i(n):
    return b"J" + struct.pack("<i", n) if -(2**31) <= n < 2**31 else b"\x8a" + bytes([8]) + n.to_bytes(8, "little", signed=True)


def ints(values):
    return b"(" + b"".join(i(v) for v in values) + b"t"


def tensor_pickle(storage=g("torch", "FloatStorage"), key="0", location="cpu", numel=4, offset=0, size=(4,),
                  stride=(1,), rebuild="_rebuild_tensor_v2", extra=b""):
    return (g("torch._utils", rebuild) + b"((" + s("storage") + storage + s(key) + s(location) + i(numel) + b"tQ"
            + i(offset) + ints(size) + ints(stride) + b"\x89" + g("collections", "OrderedDict") + b")R" + extra + b"tR")


def checkpoint(body, records=(), byteorder=b"little"):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("archive/data.pkl", b"\x80\x02" + body + b".")
        z.writestr("archive/byteorder", byteorder)
        z.writestr("archive/version", b"3\n")
        for name, data in records:
            z.writestr("archive/" + name, data)
    return buf.getvalue()


def load_bytes(data, **kwargs):
    return torch.load(io.BytesIO(data), **kwargs)


FOUR = struct.pack("<4f", 1.0, -2.0, 3.5, 0.25)


def patch_central(data, name, **fields):
    """Rewrites fields of ``name``'s central-directory entry of a zip."""
    at = {"compress_size": 20, "file_size": 24, "header_offset": 42}
    data, pos = bytearray(data), 0
    while True:
        pos = data.index(b"PK\x01\x02", pos)
        n = struct.unpack_from("<H", data, pos + 28)[0]
        if data[pos + 46:pos + 46 + n] == name.encode():
            for field, value in fields.items():
                struct.pack_into("<I", data, pos + at[field], value)
            return bytes(data)
        pos += 4


# ---- round trips ---------------------------------------------------------------

def test_dtypes_values_and_requires_grad_round_trip():
    obj = {
        "f32": torch.tensor([1.5, -2.25, float("inf")]),
        "f64": torch.tensor([1 / 3, -1e300], dtype=torch.float64),
        "f16": torch.tensor([0.1, 65504.0], dtype=torch.float16),
        "bf16": torch.tensor([0.1, -3.0e38], dtype=torch.bfloat16),
        "i64": torch.tensor([-(2**63), 2**63 - 1]),
        "i32": torch.tensor([-(2**31), 5], dtype=torch.int32),
        "i16": torch.tensor([-(2**15), 5], dtype=torch.int16),
        "i8": torch.tensor([-128, 127], dtype=torch.int8),
        "u8": torch.tensor([0, 255], dtype=torch.uint8),
        "bool": torch.tensor([True, False]),
        "grad": torch.tensor([1.0, 2.0], requires_grad=True),
    }
    out = roundtrip(obj)
    assert list(out) == list(obj)
    for k, t in obj.items():
        assert out[k].dtype == t.dtype and out[k].requires_grad == t.requires_grad
        assert out[k].float().tolist() == t.float().tolist() if k == "bf16" else out[k].tolist() == t.tolist()
    assert out["grad"].is_leaf


def test_parameter_round_trips_as_parameter():
    p, frozen = torch.nn.Parameter(torch.tensor([0.5, 1.5])), torch.nn.Parameter(torch.ones(2), requires_grad=False)
    out = roundtrip([p, frozen, p])
    assert type(out[0]) is torch.nn.Parameter and out[0].requires_grad and out[0].tolist() == [0.5, 1.5]
    assert type(out[1]) is torch.nn.Parameter and not out[1].requires_grad
    assert out[2] is out[0]
    p.note = "kept"  # attributes travel via _rebuild_parameter_with_state
    assert roundtrip(p).note == "kept"


def test_views_keep_sharing_memory():
    base = torch.arange(12.0).reshape(3, 4)
    out = roundtrip([base, base[1:], base[:, 1::2], base.t(), torch.arange(3.0).unsqueeze(1).expand(3, 2)])
    b, rows, cols, t, expanded = out
    assert rows.shape == (2, 4) and cols.stride() == (4, 2) and t.stride() == (1, 4) and expanded.stride() == (1, 0)
    assert cols.tolist() == [[1, 3], [5, 7], [9, 11]] and expanded.tolist() == [[0, 0], [1, 1], [2, 2]]
    rows[0, 1] = 100.0
    assert b[1, 1].item() == 100.0 and cols[1, 0].item() == 100.0 and t[1, 1].item() == 100.0


def test_loaded_tensors_are_leaves_not_views():
    grad, plain = roundtrip([torch.ones(3, requires_grad=True), torch.zeros(2)])
    assert grad.is_leaf and grad.grad_fn is None and grad._base is None and plain._base is None
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place operation"):
        grad.add_(1)
    (grad * grad).sum().backward()
    assert grad.grad.tolist() == [2.0, 2.0, 2.0]


def test_only_the_viewed_elements_are_saved():
    buf = io.BytesIO()
    torch.save(torch.arange(1000.0)[10:13], buf)
    assert zipfile.ZipFile(buf).getinfo("archive/data/0").file_size == 12
    buf.seek(0)
    out = torch.load(buf)
    assert out.tolist() == [10.0, 11.0, 12.0] and out.storage_offset() == 0


def test_scalar_and_empty_tensors():
    out = roundtrip({"s": torch.tensor(3.5), "i": torch.tensor(7), "e": torch.zeros(0, 3), "e2": torch.ones(2, 0)})
    assert out["s"].shape == () and out["s"].item() == 3.5 and out["i"].item() == 7
    assert out["e"].shape == (0, 3) and out["e2"].shape == (2, 0)


def test_python_values_round_trip():
    obj = {"od": collections.OrderedDict(b=1, a=2), "list": [1, [2, (3,)]], "tuple": (None, True, False),
           "big": 2**100, "neg": -(2**70), "float": 1e-310, "nan": math.nan, "str": "ünï", "bytes": b"\x00\xff",
           "set": {1, 2}, "complex": 1 - 2j, "size": torch.Size([2, 3]), "dtype": torch.bfloat16,
           "device": torch.device("cpu"), 7: "int key"}
    out = roundtrip(obj)
    assert type(out["od"]) is collections.OrderedDict and list(out["od"]) == ["b", "a"]
    assert math.isnan(out.pop("nan")) and math.isnan(obj.pop("nan"))
    assert out == obj
    assert type(out["size"]) is torch.Size and out["dtype"] is torch.bfloat16


def test_module_state_dict_round_trip(tmp_path):
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4), torch.nn.Linear(4, 2))
    model(torch.randn(6, 3))  # non-trivial running statistics
    model.eval()
    torch.save(model.state_dict(), tmp_path / "m.pt")
    other = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4), torch.nn.Linear(4, 2)).eval()
    other.load_state_dict(torch.load(tmp_path / "m.pt"))
    x = torch.randn(5, 3)
    assert torch.equal(model(x), other(x))
    loaded = torch.load(tmp_path / "m.pt")
    assert type(loaded) is collections.OrderedDict and loaded["1.num_batches_tracked"].dtype == torch.int64


def test_optimizer_state_dict_round_trip(tmp_path):
    def setup():
        torch.manual_seed(0)
        model = torch.nn.Linear(3, 2)
        return model, torch.optim.AdamW(model.parameters(), lr=0.1, amsgrad=True)

    def step(model, opt, seed):
        torch.manual_seed(seed)
        opt.zero_grad()
        (model(torch.randn(4, 3)) ** 2).sum().backward()
        opt.step()

    model, opt = setup()
    step(model, opt, 1)
    torch.save({"model": model.state_dict(), "optim": opt.state_dict()}, tmp_path / "ckpt.pt")
    step(model, opt, 2)
    model2, opt2 = setup()
    ckpt = torch.load(tmp_path / "ckpt.pt")
    model2.load_state_dict(ckpt["model"])
    opt2.load_state_dict(ckpt["optim"])
    step(model2, opt2, 2)
    assert torch.equal(model.weight, model2.weight) and torch.equal(model.bias, model2.bias)
    assert opt2.state_dict()["param_groups"] == opt.state_dict()["param_groups"]


def test_file_objects_and_unseekable_streams():
    class Sink:  # write-only, no tell/seek
        def __init__(self):
            self.chunks = []

        def write(self, b):
            self.chunks.append(bytes(b))
            return len(b)

        def flush(self):
            pass

    class Source:  # read-only, no seek
        def __init__(self, data):
            self._buf = io.BytesIO(data)

        def read(self, n=-1):
            return self._buf.read(n)

    sink = Sink()
    torch.save({"x": torch.arange(5)}, sink)
    assert torch.load(Source(b"".join(sink.chunks)))["x"].tolist() == [0, 1, 2, 3, 4]
    buf = io.BytesIO(b"prefix")
    buf.seek(6)
    torch.save([torch.ones(2)], buf)
    buf.seek(6)
    assert torch.load(buf)[0].tolist() == [1.0, 1.0]
    with pytest.raises(AttributeError, match="'write' attribute"):
        torch.save(torch.ones(1), 3)


def test_written_format_is_pytorchs():
    buf = io.BytesIO()
    torch.save({"w": torch.nn.Parameter(torch.ones(3)), "i": torch.tensor([1, 2])}, buf)
    z = zipfile.ZipFile(buf)
    assert z.namelist() == ["archive/data.pkl", "archive/byteorder", "archive/data/0", "archive/data/1", "archive/version"]
    raw = buf.getvalue()
    for info in z.infolist():  # record bytes start 64-byte aligned, as PyTorch writes them
        name_len, extra_len = struct.unpack_from("<HH", raw, info.header_offset + 26)
        assert (info.header_offset + 30 + name_len + extra_len) % 64 == 0 and info.compress_type == zipfile.ZIP_STORED
    names = {arg for op, arg, _ in pickletools.genops(z.read("archive/data.pkl")) if op.name == "GLOBAL"}
    assert names == {"torch._utils _rebuild_parameter", "torch._utils _rebuild_tensor_v2", "torch FloatStorage",
                     "torch LongStorage", "collections OrderedDict"}


def reference_object():
    t = torch.arange(6.0).reshape(2, 3)
    return collections.OrderedDict(
        w=t, v=t[1:], p=torch.nn.Parameter(torch.ones(2)), n=torch.tensor([1, 2]),
        h=torch.tensor([1.5, -2.0], dtype=torch.bfloat16), m=torch.tensor([True, False]),
        s=(1, 2.5, "x", None, True, b"\x00\xff", {"k": [3]}), d=torch.float16, z=torch.Size([2, 3]))


def test_data_pkl_and_records_are_byte_identical_to_torch_save(tmp_path):
    torch.save(reference_object(), tmp_path / "torch_reference.pt")
    ours, theirs = zipfile.ZipFile(tmp_path / "torch_reference.pt"), zipfile.ZipFile(DATA / "torch_reference.pt")
    their_names = [n for n in theirs.namelist() if not n.split("/", 1)[1].startswith(".")]  # .format_version & co
    assert ours.namelist() == their_names
    for name in their_names:
        assert ours.read(name) == theirs.read(name), name


# ---- PyTorch-written files ----------------------------------------------------------

def build_model(nn):
    return nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.BatchNorm1d(4), nn.Linear(4, 2))


def test_pytorch_checkpoint_resumes_training():
    ckpt = torch.load(DATA / "torch_checkpoint.pt")
    expected = np.load(DATA / "torch_checkpoint_expected.npz")
    assert ckpt["epoch"] == 3
    model = build_model(torch.nn)
    model.load_state_dict(ckpt["model"])
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), expected["sd/" + k])
    opt = torch.optim.Adam(model.parameters())  # hyperparameters come from the checkpoint
    opt.load_state_dict(ckpt["optim"])
    assert opt.param_groups[0]["lr"] == 0.05 and opt.param_groups[0]["betas"] == (0.8, 0.9)
    x, y = torch.from_numpy(expected["x2"]), torch.from_numpy(expected["y2"])
    opt.zero_grad()
    ((model(x) - y) ** 2).mean().backward()
    opt.step()
    for k, p in model.named_parameters():
        np.testing.assert_allclose(p.detach().numpy(), expected["after/" + k], rtol=1e-5, atol=1e-6)


def test_pytorch_views_and_dtypes():
    v = torch.load(DATA / "torch_views.pt")
    assert v["base"].tolist() == np.arange(12.0).reshape(3, 4).tolist()
    assert v["cols"].tolist() == [[1, 3], [5, 7], [9, 11]] and v["t"].stride() == (1, 4)
    assert v["expand"].stride() == (1, 0) and v["expand"].tolist() == [[0, 0], [1, 1], [2, 2]]
    v["row"][0] = -1.0  # row, cols and t view base's storage
    assert v["base"][1, 0].item() == -1.0 and v["t"][0, 1].item() == -1.0
    v["base"][0, 1] = -5.0
    assert v["cols"][0, 0].item() == -5.0
    assert type(v["param"]) is torch.nn.Parameter and v["param"].requires_grad and v["param"].tolist() == [0.5, -1.5]
    assert type(v["frozen"]) is torch.nn.Parameter and not v["frozen"].requires_grad
    assert v["grad"].requires_grad and type(v["grad"]) is torch.Tensor
    assert v["scalar"].shape == () and v["scalar"].item() == 7 and v["empty"].shape == (0, 3)
    assert v["f64"].tolist() == [1 / 3, -2.5]
    assert v["f16"].float().tolist() == np.array([0.1, 65504.0, -2.0], np.float16).astype(np.float32).tolist()
    assert v["bf16"].float().tolist() == bf16_from_bits([0x3DCD, 0x7F62, 0xC000])
    assert v["i32"].tolist() == [-(2**31), 2**31 - 1] and v["i16"].tolist() == [-(2**15), 7]
    assert v["i8"].tolist() == [-128, 127] and v["u8"].tolist() == [0, 255] and v["bool"].tolist() == [True, False, True]
    assert {k: t.dtype for k, t in v.items() if k in ("i8", "u8", "bool")} == {
        "i8": torch.int8, "u8": torch.uint8, "bool": torch.bool}


def test_mmap_maps_copy_on_write(tmp_path):
    raw = (DATA / "torch_views.pt").read_bytes()
    (tmp_path / "v.pt").write_bytes(raw)
    v = torch.load(tmp_path / "v.pt", mmap=True)
    v["base"].add_(1.0)
    assert v["row"].tolist() == [5.0, 6.0, 7.0, 8.0] and v["bf16"].float().tolist() == bf16_from_bits([0x3DCD, 0x7F62, 0xC000])
    assert (tmp_path / "v.pt").read_bytes() == raw
    with pytest.raises(ValueError, match="f must be a file path in order to use the mmap argument"):
        torch.load(io.BytesIO(raw), mmap=True)


def test_rebuild_v3_untyped_storage_and_big_endian():
    body = tensor_pickle(storage=g("torch.storage", "UntypedStorage"), numel=16, rebuild="_rebuild_tensor_v3",
                         extra=g("torch", "float32"))
    assert load_bytes(checkpoint(body, [("data/0", FOUR)])).tolist() == [1.0, -2.0, 3.5, 0.25]
    big = struct.pack(">4f", 1.0, -2.0, 3.5, 0.25)
    assert load_bytes(checkpoint(tensor_pickle(), [("data/0", big)], byteorder=b"big")).tolist() == [1.0, -2.0, 3.5, 0.25]
    body = tensor_pickle(storage=g("torch.storage", "UntypedStorage"), numel=8, size=(4,), rebuild="_rebuild_tensor_v3",
                         extra=g("torch", "uint16"))
    with pytest.raises(NotImplementedError, match="torch.uint16"):
        load_bytes(checkpoint(body, [("data/0", FOUR[:8])]))


# ---- map_location -------------------------------------------------------------------

def test_map_location():
    cuda_file = checkpoint(tensor_pickle(location="cuda:0"), [("data/0", FOUR)])
    cpu_file = checkpoint(tensor_pickle(), [("data/0", FOUR)])
    with pytest.raises(RuntimeError, match=r"Attempting to deserialize object on a CUDA device but "
                                           r"torch.cuda.is_available\(\) is False"):
        load_bytes(cuda_file)
    for loc in ("cpu", torch.device("cpu"), {"cuda:0": "cpu"}, lambda storage, location: storage):
        assert load_bytes(cuda_file, map_location=loc).tolist() == [1.0, -2.0, 3.5, 0.25]
    seen = []
    assert load_bytes(cpu_file, map_location=lambda st, loc: seen.append((st.numel(), loc))).tolist()[0] == 1.0
    assert seen == [(4, "cpu")]
    with pytest.raises(RuntimeError, match="Attempting to deserialize object on a CUDA device"):
        load_bytes(cpu_file, map_location="cuda")
    with pytest.raises(RuntimeError, match=r"don't know how to restore data location of .* \(tagged with xla:0\)"):
        load_bytes(cpu_file, map_location="xla:0")


# ---- refusing code --------------------------------------------------------------------

@pytest.mark.parametrize("module,name,payload,message", [
    ("os", "system", "touch {}", r"Trying to load unsupported GLOBAL os\.system whose module os is blocked"),
    ("posix", "system", "touch {}", r"GLOBAL posix\.system whose module posix is blocked"),
    ("__builtin__", "eval", "open(r'{}', 'w')", r"Unsupported global: GLOBAL eval was not an allowed global"),
    ("builtins", "exec", "open(r'{}', 'w')", r"Unsupported global: GLOBAL exec was not an allowed global"),
    ("subprocess", "getoutput", "touch {}", r"Unsupported global: GLOBAL subprocess\.getoutput"),
])
@pytest.mark.parametrize("weights_only", [True, False])
def test_code_in_a_checkpoint_is_refused_not_run(tmp_path, module, name, payload, message, weights_only):
    marker = tmp_path / "pwned"
    body = g(module, name) + s(payload.format(marker)) + b"\x85R"
    path = tmp_path / "evil.pt"
    path.write_bytes(checkpoint(body))
    with pytest.raises(pickle.UnpicklingError, match=r"Weights only load failed(.|\n)*" + message):
        torch.load(path, weights_only=weights_only)
    assert not marker.exists()


def test_stack_global_and_allowlisting(tmp_path):
    marker = tmp_path / "pwned"
    proto4 = b"\x8c\x08builtins\x8c\x04exec\x93" + s(f"open(r'{marker}', 'w')") + b"\x85R"
    with pytest.raises(pickle.UnpicklingError, match="GLOBAL exec"):
        load_bytes(checkpoint(proto4))
    assert not marker.exists()
    buf = io.BytesIO()
    torch.save({"args": argparse.Namespace(lr=0.1), "pt": Point(1, 2)}, buf)
    with pytest.raises(pickle.UnpicklingError, match=r"GLOBAL argparse\.Namespace"):
        load_bytes(buf.getvalue())
    with torch.serialization.safe_globals([argparse.Namespace, Point]):
        out = load_bytes(buf.getvalue())
    assert out == {"args": argparse.Namespace(lr=0.1), "pt": Point(1, 2)}
    assert torch.serialization.get_safe_globals() == []
    buf = io.BytesIO()
    torch.save(MyTensor(torch.tensor([1.0, 2.0])), buf)
    with pytest.raises(pickle.UnpicklingError, match="MyTensor"):
        load_bytes(buf.getvalue())
    with torch.serialization.safe_globals([MyTensor]):
        out = load_bytes(buf.getvalue())
    assert type(out) is MyTensor and out.tolist() == [1.0, 2.0]
    with torch.serialization.safe_globals([os.system]), pytest.raises(pickle.UnpicklingError, match="is blocked"):
        load_bytes(checkpoint(g("posix", "system") + s(f"touch {marker}") + b"\x85R"))
    assert not marker.exists()


def test_allowed_callables_check_their_arguments():
    for body in (g("_codecs", "encode") + s("abc") + s("zlib_codec") + b"\x86R",
                 g("__builtin__", "bytearray") + i(2**40) + b"\x85R",
                 g("torch", "Tensor") + i(2**40) + b"\x85R"):
        with pytest.raises(pickle.UnpicklingError, match="Weights only load failed"):
            load_bytes(checkpoint(body))
    assert load_bytes(checkpoint(g("_codecs", "encode") + s("ab") + s("latin1") + b"\x86R")) == b"ab"


# ---- damaged files ------------------------------------------------------------------

def test_truncated_and_corrupted_files_raise(tmp_path):
    buf = io.BytesIO()
    torch.save({"w": torch.arange(100.0)}, buf)
    raw = buf.getvalue()
    for cut in (len(raw) // 2, len(raw) - 10, 30):
        with pytest.raises(RuntimeError, match="PytorchStreamReader failed reading zip archive"):
            load_bytes(raw[:cut])
    data_at = raw.index(struct.pack("<f", 50.0))
    flipped = raw[:data_at] + bytes([raw[data_at] ^ 0xFF]) + raw[data_at + 1:]
    with pytest.raises(RuntimeError, match=r"failed reading file data/0.*Bad CRC-32"):
        load_bytes(flipped)
    pkl_at = raw.index(b"_rebuild_tensor_v2")
    with pytest.raises(RuntimeError, match=r"failed reading file data.pkl.*corrupted"):
        load_bytes(raw[:pkl_at] + b"X" + raw[pkl_at + 1:])
    with pytest.raises(EOFError):
        load_bytes(b"")
    with pytest.raises(RuntimeError, match="corrupted or not a checkpoint"):
        load_bytes(b"hello world, not a checkpoint")
    with pytest.raises(NotImplementedError, match="legacy torch.save format"):
        load_bytes(pickle.dumps(0x1950A86A20F9469CFC6C, protocol=2) + pickle.dumps(1001, protocol=2))


def test_malformed_archives_raise_before_allocating():
    ok = [("data/0", FOUR)]
    cases = {
        "missing record": (checkpoint(tensor_pickle()), "failed locating file data/0"),
        "size mismatch": (checkpoint(tensor_pickle(numel=8), ok), "the record holds 16 bytes"),
        "view out of bounds": (checkpoint(tensor_pickle(size=(5,)), ok), "out of bounds for storage of size 16"),
        "bad storage": (checkpoint(g("torch._utils", "_rebuild_tensor_v2") + b"(" + i(1) + i(0) + ints([1]) + ints([1])
                                   + b"\x89}t" + b"R"), "corrupted"),
        "truncated pickle": (checkpoint(b"]("), "corrupted"),
        "huge sizes": (checkpoint(tensor_pickle(size=(2**62, 2**62), stride=(0, 0)), ok), "overflow int64"),
    }
    for name, (data, message) in cases.items():
        with pytest.raises(RuntimeError, match=message):
            load_bytes(data)
    # a record claiming 2 GiB that the file does not hold
    body = tensor_pickle(storage=g("torch", "ByteStorage"), numel=2**31, size=(2**31,))
    data = patch_central(checkpoint(body, [("data/0", FOUR)]), "archive/data/0", file_size=2**31, compress_size=2**31)
    with pytest.raises(RuntimeError, match="outside the file|overlap"):
        load_bytes(data)
    data = checkpoint(tensor_pickle(), [("data/0", FOUR), ("data/1", FOUR)])
    first = zipfile.ZipFile(io.BytesIO(data)).getinfo("archive/data/0").header_offset
    with pytest.raises(RuntimeError, match="overlap"):
        load_bytes(patch_central(data, "archive/data/1", header_offset=first))


# ---- atomic writes --------------------------------------------------------------------

def test_failed_save_keeps_the_previous_file(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.pt"
    torch.save({"v": 1}, path)
    before = path.read_bytes()
    with pytest.raises((pickle.PicklingError, AttributeError, TypeError)):
        torch.save({"f": lambda: 0}, path)
    original = _zip_archive.ArchiveWriter.write

    def failing(self, name, data):
        if name.startswith("data/"):
            raise OSError("disk full")
        original(self, name, data)

    monkeypatch.setattr(_zip_archive.ArchiveWriter, "write", failing)
    with pytest.raises(OSError, match="disk full"):
        torch.save({"t": torch.ones(3)}, path)
    with pytest.raises(OSError, match="disk full"):
        torch.save({"t": torch.ones(3)}, tmp_path / "new.pt")
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["ckpt.pt"]
    monkeypatch.undo()
    with pytest.raises(RuntimeError, match="Parent directory .*missing does not exist"):
        torch.save({}, tmp_path / "missing" / "x.pt")


# ---- safetensors ------------------------------------------------------------------------

# the reference implementation's test vectors (safetensors/src/tensor.rs)
ATTN = bytes([64, 0, 0, 0, 0, 0, 0, 0]) + b'{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}' + \
    struct.pack("<6f", 0, 1, 2, 3, 4, 5)
EMPTY_WITH_METADATA = bytes([40, 0, 0, 0, 0, 0, 0, 0]) + b'{"__metadata__":{"framework":"pt"}}' + b" " * 5


def test_safetensors_matches_reference_bytes(tmp_path):
    torch.save_safetensors({"attn.0": torch.arange(6.0).reshape(1, 2, 3)}, tmp_path / "a.safetensors")
    assert (tmp_path / "a.safetensors").read_bytes() == ATTN
    torch.save_safetensors({}, tmp_path / "e.safetensors", metadata={"framework": "pt"})
    assert (tmp_path / "e.safetensors").read_bytes() == EMPTY_WITH_METADATA
    (tmp_path / "ref.bin").write_bytes(ATTN)  # recognised by content, not by name
    for loaded in (torch.load_safetensors(tmp_path / "ref.bin"), torch.load(tmp_path / "ref.bin")):
        assert loaded["attn.0"].shape == (1, 2, 3) and loaded["attn.0"].flatten().tolist() == [0, 1, 2, 3, 4, 5]
    assert torch.load_safetensors(tmp_path / "e.safetensors") == {}


def test_safetensors_round_trip_and_layout(tmp_path):
    tensors = {"b": torch.tensor([True, False]), "a": torch.tensor([1.5, -2.0], dtype=torch.bfloat16),
               "h": torch.tensor([0.5], dtype=torch.float16), "l": torch.tensor([-(2**63)]),
               "d": torch.tensor([1 / 3], dtype=torch.float64), "i": torch.tensor([[1, 2]], dtype=torch.int32),
               "s": torch.tensor([-3], dtype=torch.int16), "c": torch.tensor([-1], dtype=torch.int8),
               "u": torch.tensor([200], dtype=torch.uint8), "f": torch.tensor(2.5), "e": torch.zeros(0, 4)}
    torch.save_safetensors(tensors, tmp_path / "t.safetensors", metadata={"format": "pt"})
    raw = (tmp_path / "t.safetensors").read_bytes()
    n = struct.unpack("<Q", raw[:8])[0]
    header = raw[8:8 + n].decode()
    assert n % 8 == 0 and header.startswith('{"__metadata__":{"format":"pt"},"l":')
    order = [k for k in __import__("json").loads(header) if k != "__metadata__"]
    assert order == ["l", "d", "e", "f", "i", "a", "h", "s", "c", "u", "b"]  # by alignment, then name
    out = torch.load_safetensors(tmp_path / "t.safetensors")
    assert list(out) == sorted(tensors)
    for k, t in tensors.items():
        assert out[k].dtype == t.dtype and out[k].shape == t.shape and out[k].float().tolist() == t.float().tolist()
    assert torch.load(tmp_path / "t.safetensors", map_location="cpu")["l"].item() == -(2**63)
    with pytest.raises(RuntimeError, match="dict map_location is not supported"):
        torch.load(tmp_path / "t.safetensors", map_location={"cpu": "cpu"})


def test_safetensors_refuses_shared_and_non_contiguous(tmp_path):
    x = torch.arange(6.0)
    with pytest.raises(RuntimeError, match="Some tensors share memory"):
        torch.save_safetensors({"a": x, "b": x[2:]}, tmp_path / "s.safetensors")
    torch.save_safetensors({"a": x[:3], "b": x[3:]}, tmp_path / "ok.safetensors")  # disjoint halves are fine
    assert torch.load_safetensors(tmp_path / "ok.safetensors")["b"].tolist() == [3.0, 4.0, 5.0]
    with pytest.raises(ValueError, match="non contiguous tensor: `t`"):
        torch.save_safetensors({"t": x.reshape(2, 3).t()}, tmp_path / "n.safetensors")
    with pytest.raises(ValueError, match="expected torch.Tensor"):
        torch.save_safetensors({"t": [1.0]}, tmp_path / "n.safetensors")
    assert sorted(os.listdir(tmp_path)) == ["ok.safetensors"]


@pytest.mark.parametrize("data,reason", [
    (b"\x01\x00", "HeaderTooSmall"),
    (struct.pack("<Q", 100_000_001) + b"{}", "HeaderTooLarge"),
    (struct.pack("<Q", 64) + b"{}", "InvalidHeaderLength"),
    (struct.pack("<Q", 8) + b"{x      ", "InvalidHeaderDeserialization"),
    (ATTN[:8] + ATTN[8:72].replace(b'"F32"', b'"F99"'), "InvalidHeaderDeserialization"),
    (ATTN[:8] + ATTN[8:72].replace(b"[0,24]", b"[4,24]") + ATTN[72:], 'InvalidOffset\\("attn.0"\\)'),
    (ATTN[:8] + ATTN[8:72].replace(b"[1,2,3]", b"[1,2,2]") + ATTN[72:], "TensorInvalidInfo"),
    (struct.pack("<Q", 80) + b'{"x":{"dtype":"F32","shape":[0,4611686018427387904,4],"data_offsets":[0,0]}}    ',
     "ValidationOverflow"),
    (ATTN[:-4], "MetadataIncompleteBuffer"),
    (ATTN + b"\x00", "MetadataIncompleteBuffer"),
])
def test_safetensors_header_validation(tmp_path, data, reason):
    (tmp_path / "bad.safetensors").write_bytes(data)
    with pytest.raises(RuntimeError, match="Error while deserializing header: " + reason):
        torch.load_safetensors(tmp_path / "bad.safetensors")


def test_safetensors_unsupported_dtype(tmp_path):
    (tmp_path / "u.safetensors").write_bytes(ATTN.replace(b'"F32"', b'"U32"'))
    with pytest.raises(NotImplementedError, match="'attn.0' has safetensors dtype U32"):
        torch.load_safetensors(tmp_path / "u.safetensors")
