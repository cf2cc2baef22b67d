// The event-stream parser lives in libs/api-client (shared with the CLI's `messages tail`).
export { SseParser, readEventStream, type SseEvent } from '@tributary/api-client/sse';
