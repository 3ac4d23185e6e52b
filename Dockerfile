# One image for both `grapevine agent` (DaemonSet) and `grapevine operator`.
# Build and push: see README.md ("Container image"). test/container/image-build.test.ts builds this file
# with a real buildah (no registry: a local base image) and runs the CLI and an agent from the image.
FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/bundle.mjs ./scripts/
COPY cmd ./cmd
COPY src ./src
# tsc type-checks; esbuild bundles the CLI into dist/cmd/ (one file plus lazily loaded chunks).
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
# The bundle carries every dependency but @kubernetes/client-node (the operator's), hence node_modules.
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY package.json ./
# Runs as the image's unprivileged "node" user and writes nothing to its filesystem (logs go to
# stdout), so readOnlyRootFilesystem: true works.
USER node
EXPOSE 7946/udp 7946/tcp 7947/tcp
# The same V8 flags as the bin's shebang (`node FILE` does not read it): see cmd/grapevine.ts.
ENTRYPOINT ["node", "--max-semi-space-size=1", "dist/cmd/grapevine.js"]
CMD ["agent"]
