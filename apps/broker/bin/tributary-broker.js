#!/usr/bin/env -S node --max-semi-space-size=1
// The flags above are BROKER_NODE_FLAGS of @tributary/contracts (why: libs/contracts/src/broker-launch.ts);
// they apply when the bin is executed directly (the image, `npx tributary-broker`); whoever runs it
// with `node <bin>` passes them itself. The broker runs as plain JavaScript, the bundle that
// `npm run build` makes of src/ (built-broker.js: checked against the sources, rebuilt when stale).
import { currentBundle } from './built-broker.js';

// Stack traces (a handler's failure is logged with its stack) name the .ts files and lines through
// the bundle's source map, cut to one mapping per line by the build. Its cost, measured (bench/README.md,
// issue 21, session 13): ~1.6 MiB per broker from the start, and ~8 MiB more once the first stack
// trace is formatted (Node decodes the map then; esbuild's full map took ~40 MiB). A log that
// points at the source is worth that; a full map is not.
process.setSourceMapsEnabled(true);
await import(currentBundle());
