#!/usr/bin/env -S node --max-semi-space-size=1
// The flags above are BROKER_NODE_FLAGS of @tributary/contracts (why: libs/contracts/src/broker-launch.ts);
// they apply when the bin is executed directly (the image, `npx tributary-broker`); whoever runs it
// with `node <bin>` passes them itself. Node 24 runs the TypeScript sources directly (type
// stripping); there is no build step.
await import('../src/main.ts');
