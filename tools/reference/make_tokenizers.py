#!/usr/bin/env python3
"""Generate golden tokenizer fixtures with HF transformers / tokenizers.

Writes into emend-core/src/test/resources/fixtures/tokenizers/:

  gpt2/tokenizer.json, gpt2/tokenizer_config.json, gpt2/parity.json
      GPT-2's full byte-level BPE (50257 tokens, 50000 merges), built from the
      shared encoder.json / vocab.bpe, and >= 220 parity cases.

  tiny-bpe/tokenizer.json, tiny-bpe/tokenizer_config.json, tiny-bpe/parity.json
      A truncated GPT-2 BPE with 512 tokens: the 256 byte tokens (ids 0..255),
      GPT-2's first 255 merges (ids 256..510, identical to GPT-2's own ids) and
      <|endoftext|> at id 511. Used by the tiny random models in fixtures/tiny.

parity.json format: {"cases": [{"text": str, "ids": [int, ...], "decoded": str}, ...]}
where ids = HF fast tokenizer encoding WITHOUT special tokens added and
decoded = tokenizer.decode(ids) (defaults: skip_special_tokens=False,
clean_up_tokenization_spaces=False for GPT2Tokenizer in transformers 5.x).

Usage (from the repo root):
  ~/.cache/emend/pyenv/bin/python tools/reference/make_tokenizers.py
Optional: --gpt2-dir DIR (default /work/shared/tokenizers/gpt2), --out DIR.
"""

import argparse
import json
import os
import random
import shutil
import sys
import tempfile

import tokenizers
import transformers
from transformers import AutoTokenizer, GPT2TokenizerFast

transformers.logging.set_verbosity_error()

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DEFAULT_OUT = os.path.join(REPO_ROOT, "emend-core", "src", "test", "resources", "fixtures", "tokenizers")
EOT = "<|endoftext|>"


# ----------------------------------------------------------------------------------------------
# Test strings
# ----------------------------------------------------------------------------------------------

def handcrafted_cases():
    c = []
    # --- plain English ---
    c += [
        "Hello world",
        "Hello, world!",
        "The quick brown fox jumps over the lazy dog.",
        "The quick brown fox",
        "the",
        "a",
        "I",
        "Paris is the capital of France.",
        "The Eiffel Tower is located in Paris.",
        "Barack Obama was born in Hawaii.",
        "Knowledge editing changes what a model believes about a fact.",
        "In 1969, Neil Armstrong walked on the Moon.",
        "She sells sea shells by the sea shore.",
        "ALL CAPS SENTENCE WITH SHOUTING",
        "MiXeD CaSe WoRdS aNd CamelCaseIdentifiers",
        "supercalifragilisticexpialidocious antidisestablishmentarianism",
        "Mr. Smith went to Washington, D.C., on Jan. 5th.",
        "e.g. i.e. etc. vs. a.m. p.m.",
        "Hyphenated-words and em\u2014dashes and en\u2013dashes.",
        "\"Quoted text\" and 'single quoted' text",
        "\u201cSmart quotes\u201d and \u2018apostrophes\u2019 \u2026 ellipsis",
    ]
    # --- leading / trailing whitespace ---
    c += [
        " leading space",
        "trailing space ",
        "  two leading spaces",
        "two trailing spaces  ",
        " both ",
        " ",
        "  ",
        "\t",
        "\n",
        " \n ",
        "word\n",
        "\nword",
    ]
    # --- runs of 2..10 spaces between and before words ---
    for n in range(2, 11):
        c.append("a" + " " * n + "b")
    for n in (2, 3, 5, 7, 10):
        c.append(" " * n + "indented")
        c.append("end" + " " * n)
    c.append("many" + " " * 40 + "spaces")
    # --- tabs / newlines ---
    c += [
        "tab\tseparated\tvalues",
        "\tleading tab",
        "trailing tab\t",
        "double\t\ttab",
        "line one\nline two",
        "paragraph one\n\nparagraph two",
        "three\n\n\nnewlines",
        "windows\r\nline\r\nendings",
        "mixed \t \n \r\n whitespace",
        "carriage\rreturn only",
        "\n\n\n\n",
        " \t\n\r\n\t ",
        "vertical\x0btab and form\x0cfeed",
    ]
    # --- digits and numbers ---
    c += [
        "0",
        "7",
        "42",
        "123",
        "1234",
        "12345678901234567890",
        "3.14159265358979323846",
        "-273.15",
        "1,000,000",
        "1e-10 and 6.022e23",
        "0x1F 0b1010 0o755",
        "Call 555-123-4567 now",
        "Version 2.15.0 released on 2024-01-31T12:34:56Z",
        "$1,234.56 \u20ac99 \u00a35 \u00a5100",
        "99 bottles of beer on the wall, 99 bottles of beer.",
        "Year 2023, 1999, 1066 and 10000 BC",
        "\u0661\u0662\u0663 \u0967\u0968\u0969 \uff11\uff12\uff13",
    ]
    # --- punctuation runs ---
    c += [
        "!!!",
        "???!!!...",
        "...",
        "Wait... what?!",
        "---",
        "=====",
        "***bold*** __underline__",
        "()[]{}<>",
        "@#$%^&*",
        "a,b;c:d.e!f?g",
        "~`|\\/",
        ":-) ;-) :-( :D <3",
        "!@#$%^&*()_+-=[]{}|;':\",./<>?",
        "\"\"\"docstring\"\"\"",
        "''''",
    ]
    # --- contractions incl. uppercase variants ---
    c += [
        "it's don't we're they've I'm you'll he'd",
        "IT'S DON'T WE'RE THEY'VE I'M YOU'LL HE'D",
        "It'S Don'T We'Re They'Ve I'M You'Ll He'D",
        "'s 't 're 've 'm 'll 'd",
        "'S 'T 'RE 'VE 'M 'LL 'D",
        "John's book isn't here",
        "rock 'n' roll",
        "y'all'd've",
        "'tis the season",
        "can't won't shan't",
        "O'Neill and D'Angelo",
        "students' books",
        "he said 'hello'",
        "it\u2019s (curly apostrophe)",
    ]
    # --- code snippets ---
    c += [
        "def foo(x):\n    return x * 2\n",
        "for (int i = 0; i < n; i++) {\n\tsum += a[i];\n}",
        "public static void main(String[] args) { System.out.println(\"hi\"); }",
        "import torch\nimport numpy as np\n\nx = torch.zeros(3, 4)",
        "SELECT * FROM users WHERE id = 42;",
        "<html><body><p class=\"x\">Hi</p></body></html>",
        "{\"key\": \"value\", \"n\": [1, 2, 3], \"ok\": true}",
        "#include <stdio.h>\nint main(void) { return 0; }",
        "const f = (a, b) => a ?? b;",
        "if x != y and not z:\n        pass",
        "$ ls -la | grep '.txt' > out.log 2>&1",
        "a_b_c snake_case CONSTANT_CASE kebab-case",
        "x+=1;y-=2;z*=3;w/=4;",
        "    four spaces\n        eight spaces\n",
        "// comment\n/* block */\n# hash",
    ]
    # --- URLs / emails / paths ---
    c += [
        "https://www.example.com/path/to/page?query=1&b=2#frag",
        "http://localhost:8080/api/v1/items",
        "Visit https://huggingface.co/gpt2 for details.",
        "user.name+tag@example.co.uk",
        "/usr/local/bin/python3",
        "C:\\Users\\Admin\\Documents\\file.txt",
        "ftp://ftp.example.org/pub/file.tar.gz",
    ]
    # --- accented Latin ---
    c += [
        "caf\u00e9 na\u00efve r\u00e9sum\u00e9 fa\u00e7ade",
        "Stra\u00dfe \u00fcber \u00c4pfel \u00f6sterreich",
        "Se\u00f1or ni\u00f1o a\u00f1o \u00bfQu\u00e9? \u00a1S\u00ed!",
        "\u0141\u00f3d\u017a \u017b\u00f3\u0142\u0107 g\u0119\u015bl\u0105 ja\u017a\u0144",
        "\u010cesk\u00fd \u0159\u00edzen\u00fd \u017elu\u0165ou\u010dk\u00fd k\u016f\u0148",
        "\u00c5ngstr\u00f6m \u00d8resund \u00e6\u00f8\u00e5",
        "Vi\u1ec7t Nam Ti\u1ebfng Vi\u1ec7t",
        "\u00c0\u00c9\u00ce\u00d5\u00dc \u00e0\u00e9\u00ee\u00f5\u00fc",
    ]
    # --- other scripts ---
    c += [
        "\u0393\u03b5\u03b9\u03ac \u03c3\u03bf\u03c5 \u039a\u03cc\u03c3\u03bc\u03b5",  # Greek
        "\u03b1\u03b2\u03b3\u03b4\u03b5 \u0391\u0392\u0393\u0394\u0395 \u03c0 \u2248 3.14",
        "\u041f\u0440\u0438\u0432\u0435\u0442, \u043c\u0438\u0440!",  # Russian
        "\u041c\u043e\u0441\u043a\u0432\u0430 \u2014 \u0441\u0442\u043e\u043b\u0438\u0446\u0430 \u0420\u043e\u0441\u0441\u0438\u0438.",
        "\u0423\u043a\u0440\u0430\u0457\u043d\u0430 \u0457\u0436\u0430\u043a \u0491\u0435\u043d\u0456\u0439",
        "\u0645\u0631\u062d\u0628\u0627 \u0628\u0627\u0644\u0639\u0627\u0644\u0645",  # Arabic
        "\u0627\u0644\u0644\u063a\u0629 \u0627\u0644\u0639\u0631\u0628\u064a\u0629 \u0651\u064e\u064f",
        "\u05e9\u05dc\u05d5\u05dd \u05e2\u05d5\u05dc\u05dd",  # Hebrew
        "\u05e2\u05b4\u05d1\u05b0\u05e8\u05b4\u05d9\u05ea with niqqud",
        "\u4f60\u597d\uff0c\u4e16\u754c\uff01",  # Chinese
        "\u6771\u4eac\u306f\u65e5\u672c\u306e\u9996\u90fd\u3067\u3059\u3002",  # Japanese
        "\u3072\u3089\u304c\u306a \u30ab\u30bf\u30ab\u30ca \u6f22\u5b57",
        "\uc548\ub155\ud558\uc138\uc694 \uc138\uacc4",  # Korean
        "\u0928\u092e\u0938\u094d\u0924\u0947 \u0926\u0941\u0928\u093f\u092f\u093e",  # Hindi
        "\u0939\u093f\u0928\u094d\u0926\u0940 \u092d\u093e\u0937\u093e \u0915\u094d\u0937\u0924\u094d\u0930\u093f\u092f",
        "\u0e2a\u0e27\u0e31\u0e2a\u0e14\u0e35\u0e0a\u0e32\u0e27\u0e42\u0e25\u0e01",  # Thai
        "\u0e20\u0e32\u0e29\u0e32\u0e44\u0e17\u0e22 \u0e01\u0e34\u0e19\u0e02\u0e49\u0e32\u0e27",
        "\u10e5\u10d0\u10e0\u10d7\u10e3\u10da\u10d8 \u0540\u0561\u0575\u0565\u0580\u0565\u0576",  # Georgian, Armenian
        "\u1200\u1208\u121d \u13e3\u13b3\u13a9 \u1780\u1798\u17d2\u1796\u17bb\u1787\u17b6",  # Ethiopic, Cherokee, Khmer
        "English \u0440\u0443\u0441\u0441\u043a\u0438\u0439 \u4e2d\u6587 \u0627\u0644\u0639\u0631\u0628\u064a\u0629 mixed",
        "\u4e00\u4e8c\u4e09\u56db\u4e94\u516d\u4e03\u516b\u4e5d\u5341",
        "\U00020000\U0002a6d6 CJK Ext B",
    ]
    # --- emoji ---
    c += [
        "\U0001F600",
        "I love \U0001F355 and \U0001F363!",
        "\U0001F44D\U0001F3FB\U0001F44D\U0001F3FC\U0001F44D\U0001F3FD\U0001F44D\U0001F3FE\U0001F44D\U0001F3FF",  # skin tones
        "\U0001F468\u200D\U0001F469\u200D\U0001F467\u200D\U0001F466 family",  # ZWJ
        "\U0001F469\U0001F3FD\u200D\U0001F4BB coder",
        "\U0001F3F3\uFE0F\u200D\U0001F308 rainbow flag",
        "\U0001F1FA\U0001F1F8\U0001F1EF\U0001F1F5\U0001F1E9\U0001F1EA flags",
        "\u2764\uFE0F \u2764 \u263A\uFE0F",
        "\U0001F3F4\U000E0067\U000E0062\U000E0073\U000E0063\U000E0074\U000E007F Scotland",
        "1\uFE0F\u20E3 #\uFE0F\u20E3 keycaps",
        "\U0001F600\U0001F601\U0001F602\U0001F923\U0001F603\U0001F604",
        "  \U0001F680  spaced emoji  ",
    ]
    # --- combining characters / zero-width / special unicode ---
    c += [
        "e\u0301 a\u0308 n\u0303 (combining)",
        "Z\u0351\u036b\u0343\u036a\u0302\u036b\u033d\u034f\u0334\u0319\u0324\u031e\u0349\u035a\u032f\u031e\u0320\u034dA\u0334\u0335\u031c\u0330\u0354L\u0368\u0367\u0369\u0358\u0320G\u0311\u0357\u030e\u0305\u035b\u0341\u0334\u033b\u0348\u034d\u0354\u0339O",
        "zero\u200bwidth\u200bspace",
        "zero\u200cwidth\u200dnon\u2060joiner",
        "\ufeffBOM at start",
        "soft\u00adhyphen",
        "non\u00a0breaking\u00a0space",
        "ideographic\u3000space",
        "en\u2002em\u2003thin\u2009spaces",
        "line\u2028separator\u2029paragraph",
        "right\u200fto\u200eleft marks",
        "\ufb01\ufb02 ligatures \u2126 \u212b \u2160\u2161\u2162",
        "\u00bd \u00bc \u2153 \u00b2 \u00b3 \u2070",
        "\ufffd replacement char",
        "\x00 null \x01 ctrl \x7f del",
        "\U0001D400\U0001D401\U0001D402 math bold",
        "\ue000 private use \U000F0000",
    ]
    # --- literal <|endoftext|> ---
    c += [
        EOT,
        "Hello" + EOT + "world",
        "Hello " + EOT + " world",
        "end of doc." + EOT,
        EOT + "start of doc",
        EOT + EOT,
        "<|endoftext|",
        "<|endoftext |>",
        "< |endoftext|>",
        "<|ENDOFTEXT|>",
        "<|startoftext|>",
    ]
    # --- edge cases ---
    c += [
        "",
        "x",
        "\u00e9",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "abababababababababababababababababab",
        "the the the the the the the the",
        "Thethethe",
    ]
    return c


def long_string(n=2000):
    """A deterministic ~n-char string mixing everything."""
    parts = [
        "The quick brown fox jumps over the lazy dog. ",
        "It's 2024-05-06 and I've got 3,141,592 reasons\u2014don't I? ",
        "\tdef f(x):\n\t\treturn x**2  # square\r\n",
        "caf\u00e9 \u041f\u0440\u0438\u0432\u0435\u0442 \u4f60\u597d \u0645\u0631\u062d\u0628\u0627 \U0001F600\U0001F44D\U0001F3FD ",
        "https://example.com/a?b=c&d=e   ",
        EOT,
        "\n\n",
    ]
    out = []
    i = 0
    while sum(len(p) for p in out) < n:
        out.append(parts[i % len(parts)])
        i += 1
    return "".join(out)[:n]


_RANDOM_RANGES = [
    (0x20, 0x7E),  # ASCII
    (0x20, 0x7E),
    (0x20, 0x7E),
    (0x09, 0x0D),  # whitespace controls
    (0xA0, 0x24F),  # Latin-1 / Latin Ext
    (0x300, 0x36F),  # combining marks
    (0x370, 0x3FF),  # Greek
    (0x400, 0x4FF),  # Cyrillic
    (0x590, 0x5FF),  # Hebrew
    (0x600, 0x6FF),  # Arabic
    (0x900, 0x97F),  # Devanagari
    (0xE00, 0xE7F),  # Thai
    (0x2000, 0x206F),  # general punctuation (incl. zero-width chars)
    (0x3040, 0x30FF),  # kana
    (0x4E00, 0x9FFF),  # CJK
    (0xAC00, 0xD7A3),  # Hangul
    (0xE000, 0xF8FF),  # private use
    (0xFE00, 0xFE0F),  # variation selectors
    (0x1F300, 0x1FAFF),  # emoji
    (0x10000, 0x10FFFF),  # any supplementary (surrogates are never produced here)
]


def random_unicode_strings(seed, count, max_len):
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        n = rng.randint(1, max_len)
        chars = []
        for _ in range(n):
            lo, hi = rng.choice(_RANDOM_RANGES)
            cp = rng.randint(lo, hi)
            if 0xD800 <= cp <= 0xDFFF:
                cp = 0x20
            chars.append(chr(cp))
            if rng.random() < 0.15:
                chars.append(" " * rng.randint(1, 4))
        out.append("".join(chars))
    return out


def random_ascii_strings(seed, count, max_len):
    rng = random.Random(seed)
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789" + " " * 12 + "\t\n'.,;:!?-_()[]{}\"/\\@#$%&*+=<>|~`"
    return ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, max_len))) for _ in range(count)]


def dedupe(seq):
    seen = set()
    out = []
    for s in seq:
        if s not in seen:
            seen.add(s)
            out.append(s)
    return out


# ----------------------------------------------------------------------------------------------
# Tokenizer construction
# ----------------------------------------------------------------------------------------------

def load_gpt2_files(gpt2_dir):
    with open(os.path.join(gpt2_dir, "encoder.json"), encoding="utf-8") as f:
        vocab = json.load(f)
    with open(os.path.join(gpt2_dir, "vocab.bpe"), encoding="utf-8") as f:
        lines = f.read().split("\n")
    assert lines[0].startswith("#version"), lines[0]
    merges = [tuple(l.split(" ")) for l in lines[1:] if l]
    assert all(len(m) == 2 for m in merges)
    return vocab, merges


def build_tokenizer(vocab, merges, model_max_length):
    # NOTE: in transformers 5.x GPT2TokenizerFast is an alias of GPT2Tokenizer (tokenizers backend) and
    # its constructor takes `vocab=` / `merges=` directly. Passing vocab_file=/merges_file= is SILENTLY
    # ignored and yields an empty vocabulary with <|endoftext|> at id 0, so we do not do that.
    tok = GPT2TokenizerFast(
        vocab=dict(vocab),
        merges=list(merges),
        unk_token=EOT,
        bos_token=EOT,
        eos_token=EOT,
        add_prefix_space=False,
        model_max_length=model_max_length,
    )
    backend = tok.backend_tokenizer
    backend.no_truncation()
    backend.no_padding()
    return tok


def save_tokenizer(tok, out_dir, pretty=True):
    os.makedirs(out_dir, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        tok.save_pretrained(tmp)
        for name in ("tokenizer.json", "tokenizer_config.json"):
            shutil.copyfile(os.path.join(tmp, name), os.path.join(out_dir, name))
    if not pretty:
        # Same content, compact JSON (keeps the 50k-entry GPT-2 file small).
        tok.backend_tokenizer.save(os.path.join(out_dir, "tokenizer.json"), pretty=False)
    # sanity: no truncation / padding serialized
    with open(os.path.join(out_dir, "tokenizer.json"), encoding="utf-8") as f:
        tj = json.load(f)
    assert tj["truncation"] is None and tj["padding"] is None, (tj["truncation"], tj["padding"])
    return tj


def check_special(tj, tok_dir, eot_id):
    added = [t for t in tj["added_tokens"] if t["content"] == EOT]
    assert len(added) == 1 and added[0]["id"] == eot_id and added[0]["special"], added
    with open(os.path.join(tok_dir, "tokenizer_config.json"), encoding="utf-8") as f:
        cfg = json.load(f)
    for k in ("bos_token", "eos_token", "unk_token"):
        v = cfg.get(k)
        v = v["content"] if isinstance(v, dict) else v
        assert v == EOT, (k, v)


def make_parity(tok, texts):
    cases = []
    for t in texts:
        ids = tok(t, add_special_tokens=False)["input_ids"]
        decoded = tok.decode(ids)
        cases.append({"text": t, "ids": ids, "decoded": decoded})
    return cases


def write_parity(path, cases):
    with open(path, "w", encoding="utf-8") as f:
        json.dump({"cases": cases}, f, ensure_ascii=False, indent=1)
        f.write("\n")


def verify_dir(tok_dir, cases, vocab_size, eot_id):
    """Reload with AutoTokenizer and raw tokenizers.Tokenizer and check parity."""
    auto = AutoTokenizer.from_pretrained(tok_dir)
    raw = tokenizers.Tokenizer.from_file(os.path.join(tok_dir, "tokenizer.json"))
    assert len(auto) == vocab_size, (len(auto), vocab_size)
    assert raw.get_vocab_size(with_added_tokens=True) == vocab_size
    assert auto.convert_tokens_to_ids(EOT) == eot_id
    assert auto.eos_token_id == eot_id and auto.bos_token_id == eot_id and auto.unk_token_id == eot_id
    n_roundtrip = 0
    for c in cases:
        a = auto(c["text"], add_special_tokens=False)["input_ids"]
        r = raw.encode(c["text"], add_special_tokens=False).ids
        r2 = raw.encode(c["text"]).ids  # post-processor must not add anything either
        assert a == c["ids"] == r == r2, c["text"]
        assert raw.decode(c["ids"], skip_special_tokens=False) == c["decoded"], c["text"]
        n_roundtrip += c["decoded"] == c["text"]
    return n_roundtrip


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gpt2-dir", default="/work/shared/tokenizers/gpt2")
    ap.add_argument("--out", default=DEFAULT_OUT)
    args = ap.parse_args()

    vocab, merges = load_gpt2_files(args.gpt2_dir)
    assert len(vocab) == 50257 and len(merges) == 50000, (len(vocab), len(merges))
    assert vocab[EOT] == 50256

    base = dedupe(handcrafted_cases() + [long_string(2000)])
    texts_gpt2 = dedupe(
        base
        + random_unicode_strings(seed=1234, count=40, max_len=24)
        + random_ascii_strings(seed=4321, count=20, max_len=40)
    )
    assert len(texts_gpt2) >= 220, len(texts_gpt2)
    assert "" in texts_gpt2 and any(len(t) == 2000 for t in texts_gpt2)

    # ---------------- full GPT-2 ----------------
    gpt2_dir = os.path.join(args.out, "gpt2")
    tok = build_tokenizer(vocab, merges, model_max_length=1024)
    assert len(tok) == 50257 and tok.convert_tokens_to_ids(EOT) == 50256
    # well-known GPT-2 ids
    assert tok("Hello world", add_special_tokens=False)["input_ids"] == [15496, 995]
    assert tok(" Hello world", add_special_tokens=False)["input_ids"] == [18435, 995]
    tj = save_tokenizer(tok, gpt2_dir, pretty=False)
    check_special(tj, gpt2_dir, 50256)
    cases = make_parity(tok, texts_gpt2)
    write_parity(os.path.join(gpt2_dir, "parity.json"), cases)
    rt = verify_dir(gpt2_dir, cases, 50257, 50256)
    print(f"gpt2: {len(cases)} parity cases, {rt} exact decode round trips, "
          f"{sum(len(c['ids']) for c in cases)} ids total")

    # ---------------- tiny-bpe (512) ----------------
    inv = {v: k for k, v in vocab.items()}
    tiny_merges = merges[:255]
    tiny_vocab = {inv[i]: i for i in range(256)}
    for i, (a, b) in enumerate(tiny_merges):
        assert a in tiny_vocab and b in tiny_vocab, (i, a, b)
        assert vocab[a + b] == 256 + i, (i, a + b)  # same id as in GPT-2
        tiny_vocab[a + b] = 256 + i
    tiny_vocab[EOT] = 511
    assert sorted(tiny_vocab.values()) == list(range(512))

    tiny_dir = os.path.join(args.out, "tiny-bpe")
    ttok = build_tokenizer(tiny_vocab, tiny_merges, model_max_length=128)
    assert len(ttok) == 512 and ttok.convert_tokens_to_ids(EOT) == 511
    tj = save_tokenizer(ttok, tiny_dir, pretty=True)
    check_special(tj, tiny_dir, 511)
    texts_tiny = dedupe(
        handcrafted_cases()[::3]
        + [
            "The quick brown fox",
            "The quick brown fox jumps over the lazy dog.",
            "it's don't we're they've I'm you'll he'd",
            "IT'S DON'T WE'RE",
            "a  b   c    d     e",
            "line one\nline two\r\n\tindented",
            "Hello" + EOT + "world",
            EOT,
            "",
            "caf\u00e9 \u041f\u0440\u0438\u0432\u0435\u0442 \u4f60\u597d \U0001F468\u200D\U0001F469\u200D\U0001F467",
            "12345678901234567890",
            long_string(500),
        ]
        + random_unicode_strings(seed=99, count=12, max_len=16)
    )
    assert len(texts_tiny) >= 60, len(texts_tiny)
    tcases = make_parity(ttok, texts_tiny)
    # the tiny vocab is a prefix of GPT-2's: ids must all be < 512
    assert all(0 <= i < 512 for c in tcases for i in c["ids"])
    write_parity(os.path.join(tiny_dir, "parity.json"), tcases)
    rt = verify_dir(tiny_dir, tcases, 512, 511)
    print(f"tiny-bpe: {len(tcases)} parity cases, {rt} exact decode round trips, "
          f"{sum(len(c['ids']) for c in tcases)} ids total")

    print(f"transformers {transformers.__version__}, tokenizers {tokenizers.__version__}")
    for d in (gpt2_dir, tiny_dir):
        for name in sorted(os.listdir(d)):
            p = os.path.join(d, name)
            print(f"  {os.path.relpath(p, REPO_ROOT)}: {os.path.getsize(p):,} bytes")


if __name__ == "__main__":
    sys.exit(main())
