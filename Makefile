# Flywheel developer targets. `make dev` runs the operator on a local control plane;
# `make test` runs every test suite against it. Both install what they need first.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Node.js 22 from the npm registry when the system one is older (see hack/ensure-node.sh).
NODE_BIN := $(shell hack/ensure-node.sh)
export PATH := $(NODE_BIN):$(PATH)
export KUBECONFIG_LOCAL := $(CURDIR)/.flywheel/kubeconfig

.PHONY: help
help: ## List the targets.
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

.PHONY: deps
deps: node_modules/.package-lock.json ## Install the npm dependencies.

.PHONY: tools
tools: ## Build the control plane, kwok and helm from their Go modules (cached).
	hack/build-control-plane.sh >/dev/null

.PHONY: cluster-up
cluster-up: tools ## Start the local control plane (CLUSTER=kind uses kind instead).
	hack/cluster-up.sh

.PHONY: cluster-down
cluster-down: ## Stop the local control plane.
	hack/cluster-down.sh

.PHONY: generate
generate: deps ## Regenerate the CRD YAML from crds/src.
	node crds/src/generate.ts

.PHONY: verify
verify: deps ## Type-check and check that generated files are current.
	npx tsc --noEmit -p tsconfig.json
	node crds/src/generate.ts --check

.PHONY: dev
dev: deps cluster-up ## Run the operator on the local control plane with the examples, until Ctrl-C.
	hack/dev.sh

.PHONY: test-unit
test-unit: deps ## Run the unit tests only; needs no cluster.
	npx vitest run --project unit --project services

.PHONY: test
test: deps verify cluster-up ## Run every test suite against the local control plane.
	hack/ensure-moto.sh >/dev/null
	@mkdir -p .flywheel
	npx vitest run --reporter=default --reporter=json --outputFile.json=.flywheel/test-results.json; \
	  status=$$?; node hack/test-summary.ts .flywheel/test-results.json; exit $$status

.PHONY: bench
bench: deps cluster-up ## Time the operator against the API server's floor (BENCH_N=100,1000; see docs/benchmarks.md).
	node bench/run.ts

# Operator image and a kind cluster to run it in; these need Docker (or another engine
# that kind supports), which the local control plane does not.
IMAGE ?= ghcr.io/flywheel-dev/flywheel-operator
TAG ?= $(shell sed -n 's/^  "version": "\(.*\)",$$/\1/p' package.json)

.PHONY: image
image: ## Build the operator image IMAGE:TAG with Docker (default tag: package.json version).
	docker build -t $(IMAGE):$(TAG) .

.PHONY: kind-up
kind-up: ## Create the kind cluster "flywheel" with Istio's CRDs (needs Docker and kind).
	hack/kind-up.sh

.PHONY: kind-deploy
kind-deploy: image ## Load the image into kind and install the Helm chart there.
	IMAGE=$(IMAGE) TAG=$(TAG) hack/kind-deploy.sh

.PHONY: helm-lint
helm-lint: tools ## Lint the Helm chart with helm lint --strict.
	"$$(hack/build-control-plane.sh)/helm" lint --strict charts/flywheel
