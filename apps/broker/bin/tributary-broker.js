#!/usr/bin/env -S node --max-semi-space-size=1
// The flags above are BROKER_NODE_FLAGS of @tributary/contracts (why: libs/contracts/src/broker-launch.ts);
// they apply when the bin is executed directly (the image, `npx tributary-broker`); whoever runs it
// with `node <bin>` passes them itself. Node 24 runs the TypeScript sources directly (type
// stripping); there is no build step.
import { enableCompileCache, flushCompileCache } from 'node:module';

// Node's compile cache (in os.tmpdir()/node-compile-cache, or NODE_COMPILE_CACHE; off with
// NODE_DISABLE_COMPILE_CACHE=1) keeps the type-stripped sources and V8's code cache on disk. On a
// hit Node never loads its TypeScript stripper (amaro: a ~3.8 MB source string in the heap plus a
// WebAssembly instance), so every broker after the first on a host starts with ~24 MiB less RSS
// (130 → 106 MiB idle): most of the 3-broker row's per-broker peak (bench/README.md, session 11).
// The cache is checked against each file's contents, so an edited source is stripped again.
// Failing to enable it (a read-only tmpdir) is not an error: the broker starts as before.
enableCompileCache();
await import('../src/main.ts');
// Written now rather than at exit: a broker killed with SIGKILL (a crash, the test harness) never
// reaches the exit hook that would write it.
flushCompileCache();
