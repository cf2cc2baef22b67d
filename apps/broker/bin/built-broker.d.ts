// Types of built-broker.js (plain JavaScript, so that the bin loads no TypeScript).

/** Why a bundle does not match its inputs as they are now, or null when it does. Defaults: this checkout's broker bundle. */
export function whyStale(bundlePath?: string, manifestPath?: string, root?: string): string | null;
/** The broker bundle's path, built first when this is a source checkout and the bundle is not current. */
export function currentBundle(): string;
