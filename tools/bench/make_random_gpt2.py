#!/usr/bin/env python3
"""Write a random-init GPT-2 checkpoint folder for the runtime benchmarks.

The default shape is GPT-2 small (12 layers, d 768, 12 heads, vocabulary 50257, 1024 positions): about 124 M
parameters, a ~498 MB float32 model.safetensors with the tied lm_head stored once, which is also the >= 500 MB-class
checkpoint the load benchmark maps. The folder is what ModelLoader and transformers both read: config.json,
model.safetensors, generation_config.json, and tokenizer.json + tokenizer_config.json copied from the test fixtures
(the full GPT-2 BPE when the vocabulary is 50257, else the 512-token tiny BPE). The benchmarks feed random token ids,
so the tokenizer only has to load.

Dropout is written as 0 so that the reference run does the same arithmetic as Emend (which has no dropout) even if
someone forgets model.eval().

If the folder already holds a model of the requested shape it is left alone (the weights depend only on the shape
and --seed). A folder holding a different shape is an error unless --force is given.

Usage (from the repo root):
  ~/.cache/emend/pyenv/bin/python tools/bench/make_random_gpt2.py                       # GPT-2 small shape
  ~/.cache/emend/pyenv/bin/python tools/bench/make_random_gpt2.py --out /tmp/g2 --layers 2 --d 64 --heads 4
"""

import argparse
import json
import os
import shutil
import sys
import time

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
TOKENIZERS = os.path.join(REPO_ROOT, "emend-core", "src", "test", "resources", "fixtures", "tokenizers")
DEFAULT_OUT = os.path.join(os.path.expanduser("~"), ".cache", "emend", "bench", "gpt2-random")

# config.json keys that decide the tensors; a folder that matches on these is reused.
SHAPE_KEYS = ("model_type", "n_layer", "n_embd", "n_head", "vocab_size", "n_positions")


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", default=DEFAULT_OUT, help="model folder (default: %(default)s)")
    p.add_argument("--layers", type=int, default=12)
    p.add_argument("--d", type=int, default=768, help="d_model")
    p.add_argument("--heads", type=int, default=12)
    p.add_argument("--vocab", type=int, default=50257)
    p.add_argument("--positions", type=int, default=1024)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--force", action="store_true", help="overwrite a folder that holds another shape")
    a = p.parse_args(argv)
    if a.d % a.heads != 0:
        p.error("--d %d is not a multiple of --heads %d" % (a.d, a.heads))
    return a


def wanted_shape(a):
    return {"model_type": "gpt2", "n_layer": a.layers, "n_embd": a.d, "n_head": a.heads,
            "vocab_size": a.vocab, "n_positions": a.positions}


def existing_shape(out):
    cfg = os.path.join(out, "config.json")
    if not (os.path.isfile(cfg) and os.path.isfile(os.path.join(out, "model.safetensors"))
            and os.path.isfile(os.path.join(out, "tokenizer.json"))):
        return None
    with open(cfg) as f:
        c = json.load(f)
    return {k: c.get(k) for k in SHAPE_KEYS}


def main(argv=None):
    a = parse_args(argv)
    out = os.path.abspath(os.path.expanduser(a.out))
    want = wanted_shape(a)
    have = existing_shape(out)
    if have == want:
        print("make_random_gpt2: %s already holds %s; reusing it" % (out, want), file=sys.stderr)
        print(out)
        return 0
    if have is not None and not a.force:
        sys.exit("make_random_gpt2: %s holds another model %s, not %s; pass --force or another --out"
                 % (out, have, want))

    import torch
    import transformers
    from transformers import GPT2Config, GPT2LMHeadModel

    transformers.logging.disable_progress_bar()

    t0 = time.time()
    torch.manual_seed(a.seed)
    cfg = GPT2Config(vocab_size=a.vocab, n_positions=a.positions, n_embd=a.d, n_layer=a.layers, n_head=a.heads,
                     resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0, bos_token_id=50256 % a.vocab,
                     eos_token_id=50256 % a.vocab, tie_word_embeddings=True)
    model = GPT2LMHeadModel(cfg).to(torch.float32).eval()  # HF init: N(0, 0.02), scaled residual projections
    tmp = out + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    model.save_pretrained(tmp, safe_serialization=True)
    tok = os.path.join(TOKENIZERS, "gpt2" if a.vocab == 50257 else "tiny-bpe")
    for name in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copy(os.path.join(tok, name), os.path.join(tmp, name))
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(os.path.dirname(out), exist_ok=True)
    os.rename(tmp, out)
    size = os.path.getsize(os.path.join(out, "model.safetensors"))
    params = sum(p.numel() for p in model.parameters())
    print("make_random_gpt2: wrote %s (%d parameters, model.safetensors %.1f MB) in %.1f s"
          % (out, params, size / 1e6, time.time() - t0), file=sys.stderr)
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
