# syntax=docker/dockerfile:1
# The Flywheel operator image. Node.js runs the TypeScript sources directly through its
# type stripping (on by default from Node.js 22.18), so there is no build step: the image
# holds the sources and the production dependencies only.
#
# Build: make image  (docker build -t ghcr.io/flywheel-dev/flywheel-operator:TAG .)

# Node.js 22 LTS, the same release as NODE_VERSION in hack/versions.sh. Pin the digest
# too (node:22.23.3-bookworm-slim@sha256:...) when publishing, because tags can be re-pushed.
ARG NODE_IMAGE=node:22.23.3-bookworm-slim

FROM ${NODE_IMAGE} AS dependencies
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: no dependency may run code at install time.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

FROM ${NODE_IMAGE}
LABEL org.opencontainers.image.title="flywheel-operator" \
      org.opencontainers.image.description="Kubernetes operator for the flywheel.dev/v1alpha1 Microservice resource" \
      org.opencontainers.image.licenses="Apache-2.0"
# The operator needs no package manager at run time; removing npm and corepack leaves
# less for a scanner to flag and for an attacker to use.
RUN rm -rf /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/corepack \
      /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack
ENV NODE_ENV=production
WORKDIR /app
COPY --from=dependencies /app/node_modules ./node_modules
COPY package.json ./
# crds/src is the Microservice schema that `flywheel synth` checks manifests against.
COPY cdk8s/src ./cdk8s/src
COPY crds/src ./crds/src
COPY operator/src ./operator/src
# A numeric user, so the kubelet can check runAsNonRoot without reading /etc/passwd.
USER 65532:65532
ENTRYPOINT ["node", "--optimize-for-size", "operator/src/cli/main.ts"]
CMD ["operator"]
