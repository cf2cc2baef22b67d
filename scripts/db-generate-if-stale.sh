#!/usr/bin/env bash
# `npm run db:generate`, unless the Prisma client in node_modules already is the one prisma/schema.prisma
# and the installed Prisma make: npm test runs this before every run, and npm ci's postinstall has
# already generated the client in CI (20–30 s on a loaded 2-core machine for nothing).
# The generated client keeps a copy of the schema that Prisma has re-formatted (columns re-aligned),
# so the two are compared with runs of blanks squeezed; its clientVersion must be the installed
# prisma's, and it must be newer than prisma.config.ts.
set -euo pipefail
cd "$(dirname "$0")/.."
generated=node_modules/.prisma/client
squeeze() { tr -s ' \t' ' ' <"$1" | sed 's/ $//'; }
version() { sed -n 's/.*"clientVersion": *"\([^"]*\)".*/\1/p' "$1" | head -1; }
if [ -f "$generated/index.js" ] && [ -f "$generated/schema.prisma" ] && [ -f node_modules/prisma/package.json ] &&
  [ "$generated/index.js" -nt prisma.config.ts ] &&
  [ "$(version "$generated/index.js")" = "$(sed -n 's/^  "version": *"\([^"]*\)".*/\1/p' node_modules/prisma/package.json)" ] &&
  cmp -s <(squeeze prisma/schema.prisma) <(squeeze "$generated/schema.prisma"); then
  exit 0
fi
exec npm run db:generate
