/**
 * Node flags every broker process runs with; whoever starts a broker (the operator's local
 * runtime, the test harness, the image through the bin's shebang) passes them before the script.
 *
 * `--max-semi-space-size=1` (MiB): a broker allocates a Buffer for every socket read and every
 * frame longer than one read, ~2× its ingress rate, and V8 frees those only when it collects the
 * young generation. With the default young generation (up to 16 MiB per semi-space) scavenges are
 * rare, the dead buffers' external memory piles up and V8 answers with a mark-compact every
 * 100–200 ms (2–50 ms pauses: the produce latency tail). With 1 MiB, frequent cheap scavenges free
 * them first: bench/README.md (acks=1 half-rate p99 8 ms → 1 ms; acks=-1 RF=3 throughput ~2×).
 */
export const BROKER_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=1'];
