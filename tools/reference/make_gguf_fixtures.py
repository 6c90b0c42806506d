#!/usr/bin/env python3
"""Generate small GGUF files plus the float32 values gguf-py dequantises them to.

Writes emend-core/src/test/resources/fixtures/gguf/:
  types.gguf                  GGUF v3, general.alignment = 64, metadata of every value type (nested
                              arrays included) and, for each of F32 F16 BF16 Q8_0 Q4_0 Q4_1 Q5_0 Q5_1
                              Q4_K Q5_K Q6_K, tensors of several shapes (1-D to 4-D, several rows):
                                <type>.quant.<i>  random normal data quantised by gguf.quants.quantize
                                                  (only where gguf-py can quantise: not the K-quants)
                                <type>.raw.<i>    random but valid raw blocks: random bytes for the
                                                  quants, finite random f16 scales (some subnormal,
                                                  some zero); random bit patterns for F32/F16/BF16
                                f16.special       F16 zero, -0, subnormals, max, inf, NaN
  v2.gguf                     the same layout with version field 2 (GGUFWriter writes v3 only, and v2
                              and v3 differ only in that field for little-endian files), default
                              alignment 32, a few tensors and keys
  <name>.expected.safetensors tensor name -> float32 values, row-major shape (ggml ne reversed), from
                              gguf.quants.dequantize applied to the tensor bytes GGUFReader reads back
  <name>.json                 version, alignment, data offset, metadata (type + value, as written) and
                              tensor infos (name, type, ne in ggml order, offset relative to the data
                              section, bytes) as GGUFReader reports them

Every tensor's element count is a multiple of its block size (32, or 256 for the K-quants).
Seeds are fixed: the output is byte-identical on the same library versions (gguf 0.19.0,
numpy 2.x, safetensors 0.8.0).

Usage (from the repo root):
  ~/.cache/emend/pyenv/bin/python tools/reference/make_gguf_fixtures.py
"""

import argparse
import json
import os

import numpy as np
import gguf
from gguf import GGMLQuantizationType as T
from gguf import GGUFValueType as V
from gguf.constants import GGML_QUANT_SIZES
from safetensors.numpy import save_file

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DEFAULT_OUT = os.path.join(REPO_ROOT, "emend-core", "src", "test", "resources", "fixtures", "gguf")

TYPES = [T.F32, T.F16, T.BF16, T.Q8_0, T.Q4_0, T.Q4_1, T.Q5_0, T.Q5_1, T.Q4_K, T.Q5_K, T.Q6_K]

# numpy (row-major) shapes; the last dimension is ggml's ne[0]
SHAPES = {
    1: [(7,), (3, 5), (2, 3, 4), (2, 1, 2, 3)],
    32: [(64,), (3, 96), (2, 2, 32), (2, 1, 1, 32), (8, 128)],
    256: [(256,), (3, 512), (2, 1, 256), (16, 256)],
}

# byte offsets of the f16 scales (d, and m / dmin) inside one block
F16_FIELDS = {
    T.Q4_0: [0], T.Q4_1: [0, 2], T.Q5_0: [0], T.Q5_1: [0, 2], T.Q8_0: [0],
    T.Q4_K: [0, 2], T.Q5_K: [0, 2], T.Q6_K: [208],
}

F16_SPECIALS = [0x0000, 0x8000, 0x0001, 0x03FF, 0x0400, 0x3C00, 0xBC00, 0x7BFF, 0xFBFF,
                0x7C00, 0xFC00, 0x7E00, 0xFE00, 0x7E01, 0x3555, 0x8001]


def random_scales(rng, n):
    """Finite f16 scales: log-uniform magnitudes 2^-20 .. 2^6 (subnormals included), random sign, 1/16 zeros."""
    mag = np.exp2(rng.uniform(-20.0, 6.0, size=n))
    sign = np.where(rng.random(n) < 0.5, -1.0, 1.0)
    s = (sign * mag).astype(np.float16)
    s[rng.random(n) < 1 / 16] = 0
    assert np.all(np.isfinite(s))
    return s


def raw_blocks(rng, qtype, shape):
    """Random valid bytes for a tensor of `shape` (numpy order) and `qtype`, as uint8 with the byte shape."""
    block, type_size = GGML_QUANT_SIZES[qtype]
    n_blocks = int(np.prod(shape)) // block
    data = rng.integers(0, 256, size=(n_blocks, type_size), dtype=np.uint8)
    if qtype == T.F32:  # random finite floats of many magnitudes
        f = (rng.standard_normal(n_blocks) * np.exp2(rng.uniform(-30, 30, n_blocks))).astype(np.float32)
        data = f.view(np.uint8).reshape(n_blocks, 4)
    for off in F16_FIELDS.get(qtype, []):
        data[:, off:off + 2] = random_scales(rng, n_blocks).view(np.uint8).reshape(n_blocks, 2)
    return data.reshape(gguf.quants.quant_shape_to_byte_shape(shape, qtype))


def quantized(rng, qtype, shape):
    """Random normal data quantised by gguf-py, or None where gguf-py cannot quantise `qtype`."""
    x = (rng.standard_normal(shape) * rng.uniform(0.01, 3.0)).astype(np.float32)
    try:
        q = gguf.quants.quantize(x, qtype)
    except NotImplementedError:
        return None
    return np.ascontiguousarray(q).view(np.uint8).reshape(gguf.quants.quant_shape_to_byte_shape(shape, qtype))


def add_tensor(writer, name, byte_array, qtype):
    writer.add_tensor(name, np.ascontiguousarray(byte_array, dtype=np.uint8), raw_dtype=qtype)


# ------------------------------------------------------------------ metadata

def f32(x):
    return float(np.float32(x))


def metadata_types():
    """(key, type, value, sub_type) for every value type; arrays of every element type; nested arrays."""
    return [
        ("test.uint8", V.UINT8, 200, None),
        ("test.int8", V.INT8, -100, None),
        ("test.uint16", V.UINT16, 65535, None),
        ("test.int16", V.INT16, -32768, None),
        ("test.uint32", V.UINT32, 4_000_000_000, None),
        ("test.int32", V.INT32, -2_000_000_000, None),
        ("test.uint64", V.UINT64, 2**64 - 1, None),
        ("test.uint64_small", V.UINT64, 123456789012, None),
        ("test.int64", V.INT64, -2**63, None),
        ("test.float32", V.FLOAT32, f32(0.1), None),
        ("test.float32_neg_zero", V.FLOAT32, -0.0, None),
        ("test.float64", V.FLOAT64, 3.141592653589793, None),
        ("test.bool_true", V.BOOL, True, None),
        ("test.bool_false", V.BOOL, False, None),
        ("test.string", V.STRING, "h\u00e9llo w\u00f6rld \u2014 \u5b57 \U0001F642", None),
        ("test.empty_string", V.STRING, "", None),
        ("test.array.uint8", V.ARRAY, [0, 1, 255], V.UINT8),
        ("test.array.int8", V.ARRAY, [-128, 0, 127], V.INT8),
        ("test.array.uint16", V.ARRAY, [0, 65535], V.UINT16),
        ("test.array.int16", V.ARRAY, [-32768, 32767], V.INT16),
        ("test.array.uint32", V.ARRAY, [0, 4294967295], V.UINT32),
        ("test.array.int32", V.ARRAY, [-2147483648, 2147483647, 5], V.INT32),
        ("test.array.uint64", V.ARRAY, [0, 2**64 - 1], V.UINT64),
        ("test.array.int64", V.ARRAY, [-2**63, 2**63 - 1], V.INT64),
        ("test.array.float32", V.ARRAY, [f32(1.5), f32(-2.25e-8), f32(3.4e38)], V.FLOAT32),
        ("test.array.float64", V.ARRAY, [1e-300, -2.5, 1.7976931348623157e308], V.FLOAT64),
        ("test.array.bool", V.ARRAY, [True, False, True], V.BOOL),
        ("test.array.string", V.ARRAY, ["a", "", "\u00fc", "\U0001F642", "<0x0A>"], V.STRING),
        ("test.array.nested_strings", V.ARRAY, [["a", "b"], ["c"], ["d", "e", "f"]], V.ARRAY),
        ("test.array.nested_int32", V.ARRAY, [[1, 2], [3]], V.ARRAY),
        ("test.array.nested_deep", V.ARRAY, [[["x", "y"]], [["z"]]], V.ARRAY),
    ]


def model_like_metadata(vocab):
    """Keys a llama GGUF carries, so that the fixture looks like a real file."""
    return [
        ("general.name", V.STRING, "emend gguf fixture", None),
        ("general.quantization_version", V.UINT32, 2, None),
        ("llama.context_length", V.UINT32, 128, None),
        ("llama.embedding_length", V.UINT32, 64, None),
        ("llama.block_count", V.UINT32, 2, None),
        ("llama.attention.head_count", V.UINT32, 4, None),
        ("llama.attention.layer_norm_rms_epsilon", V.FLOAT32, f32(1e-5), None),
        ("llama.rope.freq_base", V.FLOAT32, f32(10000.0), None),
        ("tokenizer.ggml.model", V.STRING, "llama", None),
        ("tokenizer.ggml.tokens", V.ARRAY, vocab, V.STRING),
        ("tokenizer.ggml.scores", V.ARRAY, [f32(-i / 7) for i in range(len(vocab))], V.FLOAT32),
        ("tokenizer.ggml.token_type", V.ARRAY, [2 if i < 3 else 1 for i in range(len(vocab))], V.INT32),
    ]


def add_metadata(writer, entries):
    for key, vtype, value, sub in entries:
        # add_key_value directly: add_string/add_array silently skip empty values
        writer.add_key_value(key, value, vtype, sub_type=sub)


def element_type(value, sub):
    if sub is not None:
        return sub
    return V.get_type(value[0])


def json_value(vtype, value, sub=None):
    if vtype == V.ARRAY:
        et = element_type(value, sub)
        if et == V.ARRAY:
            return {"element_type": "ARRAY", "value": [json_value(V.ARRAY, v) for v in value]}
        return {"element_type": et.name, "value": list(value)}
    return value


def json_metadata(writer_arch, entries, alignment):
    out = {"general.architecture": {"type": "STRING", "value": writer_arch}}
    if alignment is not None:
        out["general.alignment"] = {"type": "UINT32", "value": alignment}
    for key, vtype, value, sub in entries:
        item = {"type": vtype.name}
        if vtype == V.ARRAY:
            item.update(json_value(vtype, value, sub))
        else:
            item["value"] = value
        out[key] = item
    return out


# ------------------------------------------------------------------ files

def write_file(path, tensors, entries, alignment=None, version=3):
    writer = gguf.GGUFWriter(path, arch="llama")
    if alignment is not None:
        writer.add_custom_alignment(alignment)
    add_metadata(writer, entries)
    for name, byte_array, qtype in tensors:
        add_tensor(writer, name, byte_array, qtype)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    if version != 3:
        with open(path, "r+b") as f:
            f.seek(4)
            f.write(int(version).to_bytes(4, "little"))


def check_and_describe(path, entries, alignment, version):
    """Reads the file back with GGUFReader; returns the JSON description and the expected float32 values."""
    r = gguf.GGUFReader(path)
    assert int(r.fields["GGUF.version"].parts[0][0]) == version
    assert r.alignment == (alignment or 32)
    for key, vtype, value, sub in entries:  # what gguf-py reads back is what we claim was written
        field = r.fields[key]
        assert field.types[0] == vtype, key
        if vtype == V.ARRAY and element_type(value, sub) == V.ARRAY:
            continue  # GGUFReader.contents() does not decode nested arrays
        got = field.contents()
        if vtype == V.FLOAT32 or (vtype == V.ARRAY and sub == V.FLOAT32):
            assert np.array_equal(np.float32(got), np.float32(value)), key
        else:
            assert got == value, (key, got, value)
    expected = {}
    infos = []
    for t in r.tensors:
        values = gguf.quants.dequantize(t.data, t.tensor_type)
        shape = tuple(int(d) for d in reversed(t.shape.tolist()))
        assert values.dtype == np.float32 and values.shape == shape, (t.name, values.shape, shape)
        expected[t.name] = np.ascontiguousarray(values)
        infos.append({
            "name": t.name,
            "type": t.tensor_type.name,
            "type_id": int(t.tensor_type),
            "ne": [int(d) for d in t.shape.tolist()],
            "offset": int(t.data_offset - r.data_offset),
            "bytes": int(t.n_bytes),
        })
    desc = {
        "version": version,
        "alignment": int(r.alignment),
        "data_offset": int(r.data_offset),
        "metadata": json_metadata("llama", entries, alignment),
        "tensors": infos,
    }
    return desc, expected


def types_file_tensors(rng):
    tensors = []
    for qtype in TYPES:
        block = GGML_QUANT_SIZES[qtype][0]
        lname = qtype.name.lower()
        for i, shape in enumerate(SHAPES[block]):
            q = quantized(rng, qtype, shape)
            if q is not None:
                tensors.append((f"{lname}.quant.{i}", q, qtype))
            tensors.append((f"{lname}.raw.{i}", raw_blocks(rng, qtype, shape), qtype))
    special = np.array(F16_SPECIALS, dtype=np.uint16).view(np.uint8).reshape(2, 16)
    tensors.append(("f16.special", special, T.F16))
    return tensors


def v2_file_tensors(rng):
    return [
        ("token_embd.weight", quantized(rng, T.Q8_0, (4, 64)), T.Q8_0),
        ("blk.0.attn_norm.weight", raw_blocks(rng, T.F32, (64,)), T.F32),
        ("blk.0.ffn_down.weight", raw_blocks(rng, T.Q4_K, (2, 256)), T.Q4_K),
        ("output.weight", quantized(rng, T.F16, (3, 64)), T.F16),
    ]


def write_fixture(out, name, tensors, entries, alignment, version):
    path = os.path.join(out, name + ".gguf")
    write_file(path, tensors, entries, alignment, version)
    desc, expected = check_and_describe(path, entries, alignment, version)
    save_file(expected, os.path.join(out, name + ".expected.safetensors"), metadata={"source": name + ".gguf"})
    with open(os.path.join(out, name + ".json"), "w", encoding="utf-8") as f:
        json.dump(desc, f, indent=1, ensure_ascii=False)
        f.write("\n")
    print(f"{name}.gguf: v{version}, {len(desc['tensors'])} tensors, {len(desc['metadata'])} keys, "
          f"{os.path.getsize(path)} bytes")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=DEFAULT_OUT)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)

    rng = np.random.default_rng(20250417)
    vocab = ["<unk>", "<s>", "</s>", "\u2581the", "\u2581\u00e9t\u00e9", "<0x0A>", "\u5b57", "\U0001F642"]
    entries = metadata_types() + model_like_metadata(vocab)
    write_fixture(args.out, "types", types_file_tensors(rng), entries, alignment=64, version=3)

    v2_entries = [
        ("general.name", V.STRING, "emend gguf v2 fixture", None),
        ("llama.context_length", V.UINT32, 64, None),
        ("llama.attention.layer_norm_rms_epsilon", V.FLOAT32, f32(1e-6), None),
        ("tokenizer.ggml.tokens", V.ARRAY, vocab, V.STRING),
    ]
    write_fixture(args.out, "v2", v2_file_tensors(rng), v2_entries, alignment=None, version=2)

    total = sum(os.path.getsize(os.path.join(args.out, f)) for f in os.listdir(args.out))
    assert total < 1_000_000, f"fixtures are {total} bytes; keep them under 1 MB"
    print(f"total {total} bytes in {args.out}")


if __name__ == "__main__":
    main()
