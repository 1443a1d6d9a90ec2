# gaim-operator — run `make help` for the targets.
#
# Every target runs with ./bin first on PATH: the pinned Node 24 (when the system Node is older),
# kubectl/kube-apiserver/etcd 1.34, kwok, FerretDB and helm, all built or linked by hack/tools.

SHELL := /usr/bin/env bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
export PATH := $(CURDIR)/bin:/usr/local/go/bin:$(PATH)

NODE_DEPS := node_modules/.installed
TSX := node --import tsx

##@ General

.PHONY: help
help: ## Show the targets.
	@awk 'BEGIN {FS = ":.*##"; printf "Usage: make \033[36m<target>\033[0m\n"} \
	  /^[a-zA-Z_0-9-]+:.*?##/ { printf "  \033[36m%-14s\033[0m %s\n", $$1, $$2 } \
	  /^##@/ { printf "\n\033[1m%s\033[0m\n", substr($$0, 5) }' $(MAKEFILE_LIST)

##@ Development

.PHONY: dev
dev: tools deps ## Run the main job locally: stack + operator + a sample Gaim reaching Synced (Ctrl-C stops all).
	$(TSX) hack/dev.ts

.PHONY: env
env: tools deps ## Start the local stack in the background and write .run/env.sh.
	$(TSX) stack/cli.ts up --detach

.PHONY: env-down
env-down: deps ## Stop the background local stack; leaves no process running.
	$(TSX) stack/cli.ts down

.PHONY: test
test: tools deps ## Run all tests: lint, typecheck, unit, then integration against a fresh local stack.
	npm run lint
	npm run typecheck
	npx vitest run --project unit
	npx vitest run --project integration

.PHONY: lint
lint: deps ## Lint with eslint (no warnings allowed).
	npm run lint

.PHONY: typecheck
typecheck: deps ## Type-check everything (src, test, hack) with tsc.
	npm run typecheck

.PHONY: run
run: deps ## Run the operator against the current kubeconfig (settings from GAIM_* env vars).
	$(TSX) src/main.ts run

.PHONY: bench
bench: tools build ## Benchmarks on a local stack of their own: prints a table, writes bench/results/ (~30 min).
	$(MAKE) --no-print-directory bench-probes
	$(TSX) hack/bench/wake.ts
	$(TSX) hack/bench/run.ts

.PHONY: bench-wake
bench-wake: tools build ## Wake from hibernation, annotation to Synced, p50/p99 over 20 Gaims, and the stores' share (~5 min): bench/results/wake.md.
	$(TSX) hack/bench/wake.ts

.PHONY: bench-probes
bench-probes: tools deps ## The stores' readiness probes' CPU cost, against the stack's stores (~1 min): bench/results/probes.md.
	hack/tools/install.sh mongosh
	$(TSX) hack/bench/probe-cost.ts

.PHONY: structure
structure: deps ## The code's shape: imports between folders of src/, the largest modules and functions.
	$(TSX) hack/structure.ts

##@ Build

.PHONY: manifests
manifests: deps ## Generate the Gaim CRD in crds/ from src/api/v1alpha1 (the zod schemas).
	$(TSX) hack/generate-crd.ts

.PHONY: build
build: deps ## Compile the operator to dist/.
	npm run build

.PHONY: deps
deps: $(NODE_DEPS) ## Install npm dependencies (from package-lock.json).

$(NODE_DEPS): package.json package-lock.json | bin/node
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

bin/node:
	hack/tools/install.sh node

.PHONY: tools
tools: ## Build or link every pinned tool into ./bin (cached in ~/.cache/gaim-operator).
	hack/tools/install.sh node redis-server lua kube kwok ferretdb helm snapshot

VERSION := $(shell node -p "require('./package.json').version")
IMG ?= ghcr.io/livingcontent/gaim-operator:$(VERSION)

.PHONY: sbom
sbom: deps ## Write the image's npm dependencies as a CycloneDX SBOM: dist/gaim-operator-$(VERSION).sbom.cdx.json.
	mkdir -p dist
	npm sbom --sbom-format cyclonedx --omit dev --package-lock-only > dist/gaim-operator-$(VERSION).sbom.cdx.json
	@echo "wrote dist/gaim-operator-$(VERSION).sbom.cdx.json"

.PHONY: release
release: tools sbom ## Package the chart with its SBOM beside it in dist/ (push the image first; pin it with image.digest).
	helm package helm/gaim-operator -d dist

.PHONY: docker-build
docker-build: ## Build the container image with Docker (needs a Docker engine).
	docker build -t $(IMG) .

##@ Deployment

.PHONY: helm-lint
helm-lint: tools ## Lint the chart and render it.
	helm lint helm/gaim-operator --strict
	helm template gaim helm/gaim-operator --kube-version 1.34.4 >/dev/null

.PHONY: deploy
deploy: tools ## Install or upgrade the operator with Helm in the current cluster (IMG, NAMESPACE=gaim-system).
	helm upgrade --install gaim-operator helm/gaim-operator -n $${NAMESPACE:-gaim-system} --create-namespace \
	  --set image.repository=$(firstword $(subst :, ,$(IMG))) --set image.tag=$(lastword $(subst :, ,$(IMG)))

.PHONY: undeploy
undeploy: tools ## Uninstall the operator (the CRD, Gaims and their data stay).
	helm uninstall gaim-operator -n $${NAMESPACE:-gaim-system}

.PHONY: kind-up
kind-up: ## Create a kind cluster (needs Docker and kind; not available on the project's CI machines).
	kind create cluster --name gaim

.PHONY: kind-down
kind-down: ## Delete the kind cluster.
	kind delete cluster --name gaim

.PHONY: test-e2e-kind
test-e2e-kind: docker-build ## Load the image into kind, deploy with Helm and apply a sample (needs Docker and kind).
	kind load docker-image $(IMG) --name gaim
	$(MAKE) deploy
	kubectl create namespace marvin --dry-run=client -o yaml | kubectl apply -f -
	kubectl -n marvin apply -f config/samples/minimal.yaml
	kubectl -n marvin wait gaim/marvin --for=jsonpath='{.status.syncStatus}'=Synced --timeout=10m

.PHONY: clean
clean: ## Remove build output, ./bin links and run directories (the tool cache stays).
	rm -rf dist bin .run
