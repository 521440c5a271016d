# nomad-operator container image. Multi-stage: build with the full toolchain, run with production
# dependencies only, as a non-root user. (The hardened final layout lands with the Helm chart work.)
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npx tsc -p tsconfig.build.json

FROM node:24-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund --ignore-scripts
COPY --from=build /app/dist ./dist
COPY crds ./crds
USER 65532:65532
ENTRYPOINT ["node", "dist/cli/main.js"]
