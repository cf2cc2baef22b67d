import { writeFileSync } from 'node:fs';
import { openapiDocument } from '../src/openapi.ts';

/** `npm run openapi`: writes openapi/openapi.json from the route schemas. */
const out = new URL('../../../openapi/openapi.json', import.meta.url);
writeFileSync(out, await openapiDocument());
console.log(`wrote ${out.pathname}`);
