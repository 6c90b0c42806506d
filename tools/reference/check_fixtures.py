#!/usr/bin/env python3
"""Independent re-check of the generated fixtures (fresh process, loads everything from disk).

  * tokenizers/*: AutoTokenizer.from_pretrained and tokenizers.Tokenizer.from_file reproduce parity.json
  * tiny/*: AutoModelForCausalLM.from_pretrained (float32, eager) reproduces plain/left/right logits,
    the left.row{i} logits and the greedy outputs stored in reference.safetensors, and the
    text continuation in reference.json.

Usage (from the repo root):
  ~/.cache/emend/pyenv/bin/python tools/reference/check_fixtures.py
"""

import json
import os
import sys

import tokenizers
import torch
import transformers
from safetensors.torch import load_file
from transformers import AutoModelForCausalLM, AutoTokenizer, GenerationConfig

transformers.logging.set_verbosity_error()
transformers.logging.disable_progress_bar()

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FIXTURES = os.path.join(REPO_ROOT, "emend-core", "src", "test", "resources", "fixtures")
ATOL = 1e-5


def check_tokenizers():
    root = os.path.join(FIXTURES, "tokenizers")
    for name in sorted(os.listdir(root)):
        d = os.path.join(root, name)
        auto = AutoTokenizer.from_pretrained(d)
        raw = tokenizers.Tokenizer.from_file(os.path.join(d, "tokenizer.json"))
        with open(os.path.join(d, "parity.json"), encoding="utf-8") as f:
            cases = json.load(f)["cases"]
        for c in cases:
            assert auto(c["text"], add_special_tokens=False)["input_ids"] == c["ids"], (name, c["text"])
            assert raw.encode(c["text"]).ids == c["ids"], (name, c["text"])
            assert auto.decode(c["ids"]) == c["decoded"], (name, c["text"])
        print(f"tokenizers/{name}: {len(cases)} cases OK (vocab {len(auto)}, eos id {auto.eos_token_id})")


def greedy(model, ids, mask, n):
    gc = GenerationConfig(do_sample=False, max_new_tokens=n, min_new_tokens=n, pad_token_id=511,
                          bos_token_id=511, eos_token_id=None)
    with torch.no_grad():
        return model.generate(input_ids=ids, attention_mask=mask, generation_config=gc)


def close(a, b, what):
    err = (a - b).abs().max().item()
    assert err <= ATOL, f"{what}: max abs diff {err}"
    return err


def check_models():
    root = os.path.join(FIXTURES, "tiny")
    for name in sorted(os.listdir(root)):
        d = os.path.join(root, name)
        ref = load_file(os.path.join(d, "reference.safetensors"))
        with open(os.path.join(d, "reference.json"), encoding="utf-8") as f:
            rj = json.load(f)
        m = AutoModelForCausalLM.from_pretrained(d, attn_implementation="eager", dtype=torch.float32).eval()
        tok = AutoTokenizer.from_pretrained(d)
        assert m.config.model_type == rj["family"]
        errs = []
        with torch.no_grad():
            errs.append(close(m(input_ids=ref["plain.input_ids"]).logits, ref["plain.logits"], f"{name} plain"))
            for side in ("left", "right"):
                lg = m(input_ids=ref[f"{side}.input_ids"], attention_mask=ref[f"{side}.attention_mask"],
                       position_ids=ref[f"{side}.position_ids"]).logits
                errs.append(close(lg, ref[f"{side}.logits"], f"{name} {side}"))
            mask = ref["left.attention_mask"]
            for i in range(mask.shape[0]):
                row = ref["left.input_ids"][i][mask[i].bool()][None]
                errs.append(close(m(input_ids=row).logits, ref[f"left.row{i}.logits"], f"{name} left.row{i}"))
        g = ref["greedy.input_ids"]
        assert torch.equal(greedy(m, g, torch.ones_like(g), 16), ref["greedy.output_ids"]), f"{name} greedy"
        gb = greedy(m, ref["greedy_batch.input_ids"], ref["greedy_batch.attention_mask"], 12)
        assert torch.equal(gb, ref["greedy_batch.output_ids"]), f"{name} greedy_batch"
        assert tok("The quick brown fox", add_special_tokens=False)["input_ids"] == rj["text_prompt_ids"]
        p = torch.tensor([rj["text_prompt_ids"]])
        cont = greedy(m, p, torch.ones_like(p), 8)[0, p.shape[1]:].tolist()
        assert cont == rj["text_continuation_ids"], f"{name} text continuation"
        assert tok.decode(cont) == rj["text_continuation"]
        print(f"tiny/{name}: OK (max logits diff {max(errs):.1e}, {len(ref)} reference tensors)")


def main():
    torch.set_grad_enabled(False)
    check_tokenizers()
    check_models()
    print("all fixtures OK")


if __name__ == "__main__":
    sys.exit(main())
