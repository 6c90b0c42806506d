#!/usr/bin/env python3
"""Golden numbers for SmolLM2-135M-Instruct loaded from its Q4_1 GGUF file by transformers.

Reads ~/.cache/emend/models/SmolLM2-135M-Instruct.Q4_1.gguf (tools/models/fetch-smollm2.sh fetches it) and writes
emend-core/src/test/resources/fixtures/smollm2/:

  tokenizer.json     for 283 strings (the 272 of fixtures/tokenizers/gpt2/parity.json and 11 with digits and
                     ChatML tokens): "ids" from transformers' GGUF tokenizer
                     (AutoTokenizer.from_pretrained(dir, gguf_file=...)), "decoded" = its decode(ids), and
                     "llamacpp_ids": the same vocabulary with llama.cpp's "smollm" pre-tokenizer (every digit alone,
                     then GPT-2's regex: Digits(individual_digits) + ByteLevel, as SmolLM2's own tokenizer.json has
                     it). transformers 5.24 does not know "smollm" and splits with GPT-2's regex alone, so the two
                     differ on a few strings; "variants" holds, per other pre-tokenizer name (llama-bpe, qwen2), the
                     ids transformers' GGUF converter gives when the file's tokenizer.ggml.pre says that name.
  parity.json        20 prompts: ids, the last position's top-100 logits (ids and values) and summary statistics of
                     the full last-position logits (max, min, mean, std, logsumexp; float64), the greedy 20-token
                     continuation (no EOS stop) with each step's top-1 minus top-2 logit gap; rendered chat
                     templates for two conversations and their ids.
  logits.safetensors the full last-position logits [3, 49152] (float32) of prompts 0, 1 and 2.

Why only three full rows: 20 x 49152 float32 is 3.9 MB. The Java test checks max |dlogit| <= 1e-3 over all 49152
logits of three prompts, and over the top 100 of every prompt, and compares the five statistics of every prompt's
full row; a wrong weight or rotary error moves all of these by far more than 1e-3.

The model runs in float32 with eager attention. Usage (from the repo root):
  ~/.cache/emend/pyenv/bin/python tools/reference/make_smollm2_fixtures.py [--gguf PATH]
"""

import argparse
import json
import os
import tempfile
from pathlib import Path

import numpy as np
import torch
from safetensors.numpy import save_file
from tokenizers import Tokenizer
from transformers import AutoModelForCausalLM, AutoTokenizer
from transformers.integrations.gguf import gguf_tokenizer_mapping as gtm

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "emend-core/src/test/resources/fixtures/smollm2"
GPT2_CASES = ROOT / "emend-core/src/test/resources/fixtures/tokenizers/gpt2/parity.json"
DEFAULT_GGUF = Path.home() / ".cache/emend/models/SmolLM2-135M-Instruct.Q4_1.gguf"

EXTRA_TEXTS = [
    "12345 and 2024", "3.14159", "a 123", " 42", "x=1000000;",
    "<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n",
    "<repo_name>emend<file_sep>a.py", "1,234,567.89", "\u0663\u0664\u0665 \u0661\u0662",
    "\u2460\u2461\u2462 \u00bd \u00be", "    1  2   3",
]

PROMPTS = [
    "The capital of France is",
    "def fibonacci(n):\n    \"\"\"Return the n-th Fibonacci number.\"\"\"\n",
    "<|im_start|>user\nWhat is the boiling point of water?<|im_end|>\n<|im_start|>assistant\n",
    "Once upon a time, in a small village,",
    "The theory of relativity was developed by",
    "import numpy as np\nx = np.",
    "Q: What is the largest planet in our solar system?\nA:",
    "The three primary colors are",
    "In 1969, Neil Armstrong",
    "Photosynthesis is the process by which",
    "The Eiffel Tower is located in",
    "To make a cup of tea, first",
    "Water is made of hydrogen and",
    "The quick brown fox",
    "SELECT name FROM users WHERE",
    "The opposite of hot is",
    "My favourite book is",
    "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nName a fruit.<|im_end|>\n<|im_start|>assistant\n",
    "Berlin is the capital of",
    "1, 2, 3, 4,",
]
FULL_ROWS = 3
TOP_K = 100
NEW_TOKENS = 20

CONVERSATIONS = {
    "user": [{"role": "user", "content": "What is the capital of France?"}],
    "multi_turn": [{"role": "system", "content": "Answer briefly."},
                   {"role": "user", "content": "Hi!"},
                   {"role": "assistant", "content": "Hello. How can I help?"},
                   {"role": "user", "content": "Tell me a fact\nabout cats."}],
}


def smollm_tokenizer(tok) -> Tokenizer:
    """transformers' GGUF tokenizer with llama.cpp's "smollm" pre-tokenizer (digits alone, then GPT-2's regex)."""
    j = json.loads(tok.backend_tokenizer.to_str())
    j["pre_tokenizer"] = {"type": "Sequence", "pretokenizers": [
        {"type": "Digits", "individual_digits": True},
        {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True}]}
    return Tokenizer.from_str(json.dumps(j))


def variant_tokenizer(gguf: Path, pre: str) -> Tokenizer:
    """What transformers' GGUF converter builds when the file says tokenizer.ggml.pre = `pre`."""
    arch, tdict, _ = gtm.get_gguf_tokenizer(str(gguf))
    tdict = dict(tdict, pre_tokenizer_type=pre)
    backend, _ = gtm.convert_gguf_tokenizer(arch, tdict)
    return backend


def tokenizer_fixture(tok, gguf: Path) -> dict:
    texts = [c["text"] for c in json.loads(GPT2_CASES.read_text())["cases"]] + EXTRA_TEXTS
    smol = smollm_tokenizer(tok)
    variants = {pre: variant_tokenizer(gguf, pre) for pre in ("llama-bpe", "qwen2")}
    cases, differ = [], 0
    for t in texts:
        ids = tok(t, add_special_tokens=False).input_ids
        ll = smol.encode(t, add_special_tokens=False).ids
        differ += ids != ll
        cases.append({"text": t, "ids": ids, "decoded": tok.decode(ids), "llamacpp_ids": ll,
                      "variants": {p: v.encode(t, add_special_tokens=False).ids for p, v in variants.items()}})
    # the reference must itself be sane: most strings agree, and every one round-trips
    assert differ < len(texts) // 20, differ
    # SmolLM2's vocabulary lacks some UTF-8 lead bytes (of code points above U+3FFFF), which BPE then drops; every
    # string below U+10000 must round-trip
    assert all(c["decoded"] == c["text"] for c in cases if max(map(ord, c["text"] or "a")) < 0x10000), "no round trip"
    print(f"tokenizer: {len(cases)} strings, {differ} where llama.cpp's smollm pre-tokenizer differs from transformers'")
    return {"model": gguf.name, "cases": cases}


@torch.no_grad()
def greedy(model, ids: list[int], n: int) -> tuple[list[int], list[float]]:
    out, gaps = list(ids), []
    for _ in range(n):
        logits = model(torch.tensor([out])).logits[0, -1].double()
        top = torch.topk(logits, 2)
        gaps.append(float(top.values[0] - top.values[1]))
        out.append(int(top.indices[0]))
    return out[len(ids):], gaps


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--gguf", type=Path, default=DEFAULT_GGUF)
    args = ap.parse_args()
    gguf = args.gguf.resolve()
    torch.manual_seed(0)
    tok = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype=torch.float32,
                                                 attn_implementation="eager").eval()
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "tokenizer.json").write_text(json.dumps(tokenizer_fixture(tok, gguf), ensure_ascii=False))

    prompts, full = [], []
    for i, p in enumerate(PROMPTS):
        ids = tok(p, add_special_tokens=False).input_ids
        with torch.no_grad():
            last = model(torch.tensor([ids])).logits[0, -1]
        d = last.double()
        top = torch.topk(last, TOP_K)
        cont, gaps = greedy(model, ids, NEW_TOKENS)
        prompts.append({
            "prompt": p, "ids": ids,
            "top_ids": top.indices.tolist(), "top_logits": [float(v) for v in top.values],
            "stats": {"max": float(d.max()), "min": float(d.min()), "mean": float(d.mean()),
                      "std": float(d.std(unbiased=False)), "logsumexp": float(torch.logsumexp(d, 0))},
            "greedy_ids": cont, "greedy_text": tok.decode(cont), "greedy_gaps": gaps,
            "full_logits_row": i if i < FULL_ROWS else None,
        })
        if i < FULL_ROWS:
            full.append(last.numpy().astype(np.float32))
        print(f"{i:2d} {p[:40]!r:44} -> {tok.decode(cont)[:50]!r}  min gap {min(gaps):.4f}")
    chats = []
    for name, conv in CONVERSATIONS.items():
        for gen in (False, True):
            text = tok.apply_chat_template(conv, tokenize=False, add_generation_prompt=gen)
            chats.append({"conversation": name, "messages": conv, "add_generation_prompt": gen, "text": text,
                          "ids": tok(text, add_special_tokens=False).input_ids})
    meta = {"model": gguf.name, "torch": torch.__version__, "transformers": __import__("transformers").__version__,
            "new_tokens": NEW_TOKENS, "top_k": TOP_K, "full_rows": FULL_ROWS,
            "bos_token": tok.bos_token, "eos_token": tok.eos_token, "prompts": prompts, "chat": chats}
    (OUT / "parity.json").write_text(json.dumps(meta, indent=1, ensure_ascii=False))
    save_file({"last_logits": np.stack(full)}, str(OUT / "logits.safetensors"), metadata={"format": "np"})
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
