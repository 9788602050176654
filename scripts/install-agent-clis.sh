#!/usr/bin/env bash
# Installs the pinned agent CLIs that the real-agents tests drive (test/real-agents/clis.json)
# into a cache folder, not into the project's dependencies: each one with
# `npm install --prefix <cache>/<name>-<version>`. The cache is ~/.cache/tower-agent-clis unless
# TOWER_AGENT_CLIS says otherwise.
#
# Idempotent: a CLI whose folder is complete (it has the `.installed` marker written after a
# successful install) is skipped without asking the network, so a second run works offline.
# An install goes to a `.partial` folder first and is renamed into place only when it finished,
# so an interrupted run never leaves a folder that looks installed.
#
#   bash scripts/install-agent-clis.sh            install what is missing, print the binaries
#   bash scripts/install-agent-clis.sh claude     only that one (names: claude, codex, gemini)
set -euo pipefail
cd "$(dirname "$0")/.."

cache="${TOWER_AGENT_CLIS:-$HOME/.cache/tower-agent-clis}"
pins="test/real-agents/clis.json"

# "<name> <package> <version> <bin>" lines from the pins file.
mapfile -t entries < <(node -e '
  const pins = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  for (const [name, p] of Object.entries(pins)) console.log(name, p.package, p.version, p.bin);
' "$pins")

wanted=("$@")
known=()
for entry in "${entries[@]}"; do known+=("${entry%% *}"); done
for name in "${wanted[@]}"; do
  if [[ " ${known[*]} " != *" $name "* ]]; then
    echo "install-agent-clis: unknown CLI '$name' (known: ${known[*]})" >&2
    exit 2
  fi
done

mkdir -p "$cache"
for entry in "${entries[@]}"; do
  read -r name package version bin <<<"$entry"
  if [ "${#wanted[@]}" -gt 0 ] && [[ " ${wanted[*]} " != *" $name "* ]]; then continue; fi
  dir="$cache/${package##*/}-$version"
  binary="$dir/node_modules/.bin/$bin"
  if [ -f "$dir/.installed" ] && [ -x "$binary" ]; then
    echo "$name $version: installed at $binary"
    continue
  fi
  partial="$dir.partial"
  rm -rf "$partial"
  mkdir -p "$partial"
  echo "$name $version: installing $package@$version into $dir"
  start=$SECONDS
  # --prefix keeps it out of the global prefix and out of this project; no package-lock of its
  # own is needed since the version is exact.
  npm install --prefix "$partial" --no-audit --no-fund --no-save --loglevel=error \
    "$package@$version"
  # npm writes absolute paths nowhere in node_modules/.bin (relative symlinks), so the folder
  # can be renamed.
  [ -x "$partial/node_modules/.bin/$bin" ] || {
    echo "install-agent-clis: $package@$version installed no $bin binary" >&2
    exit 1
  }
  touch "$partial/.installed"
  rm -rf "$dir"
  mv "$partial" "$dir"
  echo "$name $version: installed at $binary ($((SECONDS - start)) s, $(du -sh "$dir" | cut -f1))"
done
