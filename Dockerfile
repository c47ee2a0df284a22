# The heroku-runbooks image: the `runbook` CLI, worker and simulator, plus the Temporal CLI dev server, all built
# from source (the same Temporal CLI build as scripts/temporal.sh). Used by docker-compose.yml.

# Temporal CLI v1.5.1 (Server 1.29.1): later tags carry a `replace` directive and cannot be go-installed.
FROM golang:1.25-bookworm AS temporal-cli
RUN GOBIN=/out go install github.com/temporalio/cli/cmd/temporal@v1.5.1

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
COPY --from=temporal-cli /out/temporal /usr/local/bin/temporal
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY bin ./bin
COPY config ./config
ENV NODE_ENV=production
ENTRYPOINT ["node", "bin/runbook.js"]
CMD ["--help"]
