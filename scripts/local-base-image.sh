#!/usr/bin/env bash
# Creates a local base image holding a node binary and the shared libraries it
# links, for engines that cannot pull node:24-bookworm-slim.
# Usage: [NODE_BIN=/path/to/node] scripts/local-base-image.sh [tag]
#   NODE_BIN defaults to the node on PATH; tag defaults to cdktf-apigw/local-node:<major of that node>
set -euo pipefail
node_bin="$(readlink -f "${NODE_BIN:-$(command -v node)}")"
major="$("$node_bin" -p 'process.versions.node.split(".")[0]')"
tag="${1:-cdktf-apigw/local-node:$major}"
if docker image inspect "$tag" >/dev/null 2>&1; then
  echo "$tag exists"
  exit 0
fi
root="$(mktemp -d)"
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/usr/local/bin" "$root/tmp" "$root/app"
chmod 1777 "$root/tmp"
cp "$node_bin" "$root/usr/local/bin/node"
# The dynamic loader and every library node links, at the paths the binary expects.
for lib in $(ldd "$node_bin" | grep -o '/[^ ]*'); do
  mkdir -p "$root$(dirname "$lib")"
  cp -L "$lib" "$root$lib"
done
tar -C "$root" -c . | docker import -c 'ENV PATH=/usr/local/bin:/usr/bin:/bin' - "$tag" >/dev/null
echo "created $tag"
