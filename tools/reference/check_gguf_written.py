#!/usr/bin/env python3
"""Checks the GGUF files Emend's writer produced, with gguf-py and transformers, and records what it read.

Input: emend-core/src/test/resources/fixtures/gguf/written/tiny-llama.{f16,q8_0}.gguf, written by
GgufModelsTest (run it with -Demend.writeGgufFixtures=true) from fixtures/tiny/llama with default rotary.
Output: written/written.json, read by GgufModelsTest: per file its sha256, its metadata as GGUFReader reads it,
per tensor the type, ggml shape and the sha256 of gguf.quants.dequantize's float32 values (row-major, little-endian),
and the results of these checks (the script fails if one fails):

  names        every HF tensor of the source maps to the GGUF name gguf-py's own table gives
               (gguf.get_tensor_name_map(MODEL_ARCH.LLAMA, n_blocks)), and the file has no other tensor
  bytes        every tensor's bytes equal gguf.quants.quantize of the HF weight, after llama.cpp's
               LlamaModel.permute for q_proj/k_proj (1-D tensors as F32, matrices as the file type)
  metadata     the llama.* keys describe the source config; general.file_type matches; the tokenizer arrays
               have the vocabulary's length
  transformers AutoModelForCausalLM.from_pretrained(dir, gguf_file=...) gives the logits of the source model with
               the file's rounding applied to its weights (max |dlogit| < 1e-4), and AutoTokenizer gives the
               source tokenizer's ids on a few strings

Usage (from the repo root):
  ~/.cache/emend/pyenv/bin/python tools/reference/check_gguf_written.py
"""

import hashlib
import json
import shutil
import tempfile
from pathlib import Path

import gguf
import numpy as np
import torch
from gguf import GGMLQuantizationType as T
from safetensors.numpy import load_file
from transformers import AutoModelForCausalLM, AutoTokenizer, LlamaConfig, LlamaForCausalLM

ROOT = Path(__file__).resolve().parents[2]
FIX = ROOT / "emend-core/src/test/resources/fixtures"
WRITTEN = FIX / "gguf/written"
SOURCE = FIX / "tiny/llama"
FILES = {"tiny-llama.f16.gguf": T.F16, "tiny-llama.q8_0.gguf": T.Q8_0}
TEXTS = ["The quick brown fox", "Hello, world!\n  x = 1", "<|endoftext|>ok"]


def permute(w: np.ndarray, n_head: int, n_head_kv: int | None) -> np.ndarray:
    """llama.cpp convert_hf_to_gguf.py LlamaModel.permute."""
    if n_head_kv is not None and n_head != n_head_kv:
        n_head = n_head_kv
    return w.reshape(n_head, 2, w.shape[0] // n_head // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def source_config() -> dict:
    cfg = json.loads((SOURCE / "config.json").read_text())
    cfg["rope_parameters"] = {"rope_type": "default", "rope_theta": 10000.0}
    return cfg


def field_value(f):
    if f.types and f.types[0] == gguf.GGUFValueType.ARRAY:
        v = f.contents()
        return {"type": "ARRAY", "element_type": f.types[-1].name, "length": len(v),
                "sha256": hashlib.sha256(json.dumps(v, ensure_ascii=False).encode()).hexdigest()}
    return {"type": f.types[0].name, "value": f.contents()}


def check_file(name: str, qtype: T, cfg: dict, hf: dict) -> dict:
    path = WRITTEN / name
    r = gguf.GGUFReader(path)
    meta = {k: field_value(f) for k, f in r.fields.items() if not k.startswith("GGUF.")}
    tensors = {}
    for t in r.tensors:
        values = gguf.quants.dequantize(t.data, t.tensor_type).astype("<f4")
        tensors[t.name] = {"type": t.tensor_type.name, "ne": [int(x) for x in t.shape],
                           "f32_sha256": hashlib.sha256(values.tobytes()).hexdigest()}
    by_name = {t.name: t for t in r.tensors}

    n_layers = cfg["num_hidden_layers"]
    tmap = gguf.get_tensor_name_map(gguf.MODEL_ARCH.LLAMA, n_layers)
    names = {hf_name: tmap.get_name(hf_name, try_suffixes=(".weight", ".bias")) for hf_name in hf}
    checks = {"names": set(names.values()) == set(by_name) and None not in names.values()}

    ok = True
    for hf_name, w in hf.items():
        if "q_proj" in hf_name:
            w = permute(w, cfg["num_attention_heads"], cfg["num_attention_heads"])
        elif "k_proj" in hf_name:
            w = permute(w, cfg["num_attention_heads"], cfg["num_key_value_heads"])
        want = gguf.quants.quantize(w.astype(np.float32), T.F32 if w.ndim == 1 else qtype)
        got = by_name[names[hf_name]]
        ok &= got.tensor_type == (T.F32 if w.ndim == 1 else qtype)
        ok &= np.array_equal(np.asarray(got.data).view(np.uint8).reshape(-1), want.view(np.uint8).reshape(-1))
    checks["bytes"] = bool(ok)

    c = {k: r.fields[k].contents() for k in r.fields if k.startswith("llama.")}
    checks["metadata"] = bool(
        r.fields["general.architecture"].contents() == "llama"
        and c["llama.block_count"] == n_layers
        and c["llama.embedding_length"] == cfg["hidden_size"]
        and c["llama.feed_forward_length"] == cfg["intermediate_size"]
        and c["llama.attention.head_count"] == cfg["num_attention_heads"]
        and c["llama.attention.head_count_kv"] == cfg["num_key_value_heads"]
        and c["llama.context_length"] == cfg["max_position_embeddings"]
        and c["llama.rope.dimension_count"] == cfg["head_dim"]
        and np.float32(c["llama.attention.layer_norm_rms_epsilon"]) == np.float32(cfg["rms_norm_eps"])
        and c["llama.rope.freq_base"] == cfg["rope_parameters"]["rope_theta"]
        and r.fields["general.file_type"].contents() == {T.F16: 1, T.Q8_0: 7}[qtype]
        and len(r.fields["tokenizer.ggml.tokens"].contents()) == cfg["vocab_size"]
        and len(r.fields["tokenizer.ggml.token_type"].contents()) == cfg["vocab_size"])

    # transformers loads the file: same logits as the source model with the file's rounding applied
    ref = LlamaForCausalLM(LlamaConfig(**{k: v for k, v in cfg.items() if k != "transformers_version"}))
    rounded = {k: torch.from_numpy(v if v.ndim == 1 else gguf.quants.dequantize(gguf.quants.quantize(v, qtype), qtype))
               for k, v in hf.items()}
    ref.load_state_dict(rounded, strict=True)
    ref = ref.eval()
    with tempfile.TemporaryDirectory() as d:
        shutil.copy(path, Path(d) / name)
        model = AutoModelForCausalLM.from_pretrained(d, gguf_file=name, dtype=torch.float32).eval()
        tok = AutoTokenizer.from_pretrained(d, gguf_file=name)
    src_tok = AutoTokenizer.from_pretrained(SOURCE)
    ids = torch.tensor([[5, 17, 300, 42, 511, 7, 99, 256]])
    with torch.no_grad():
        diff = (model(ids).logits - ref(ids).logits).abs().max().item()
    same_ids = all(tok(t, add_special_tokens=False).input_ids == src_tok(t, add_special_tokens=False).input_ids
                   for t in TEXTS)
    checks["transformers"] = bool(diff < 1e-4 and same_ids)
    print(f"{name}: names {checks['names']}, bytes {checks['bytes']}, metadata {checks['metadata']}, "
          f"transformers max|dlogit| {diff:.3g}, tokenizer ids equal {same_ids}")
    return {"sha256": hashlib.sha256(path.read_bytes()).hexdigest(), "metadata": meta, "tensors": tensors,
            "checks": checks, "transformers_max_abs_logit_diff": diff}


def main() -> None:
    cfg = source_config()
    hf = load_file(str(SOURCE / "model.safetensors"))
    out = {"gguf": gguf.__version__ if hasattr(gguf, "__version__") else "0.19",
           "transformers": __import__("transformers").__version__,
           "files": {name: check_file(name, q, cfg, hf) for name, q in FILES.items()}}
    for name, f in out["files"].items():
        assert all(f["checks"].values()), (name, f["checks"])
    (WRITTEN / "written.json").write_text(json.dumps(out, indent=1, ensure_ascii=False, default=str))
    print(f"wrote {WRITTEN / 'written.json'}")


if __name__ == "__main__":
    main()
