# The ledger's HTTP API. Build stage compiles TypeScript; the runtime stage carries only
# production dependencies and the compiled output.
FROM node:20-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
# Sources, projections and scripts, as tsconfig.build.json includes them; .dockerignore keeps
# tests, data files and local builds out.
COPY . .
RUN npm run build

FROM node:20-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
USER node
EXPOSE 8080
CMD ["node", "dist/src/cli/main.js", "serve"]
