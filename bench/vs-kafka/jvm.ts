/**
 * The JVM settings Apache Kafka's own scripts use (bin/kafka-run-class.sh, kafka-server-start.sh,
 * kafka-producer-perf-test.sh): the reference broker and its tools run as a user's would, with the
 * full JIT and G1 — not the quick-start flags the tests use.
 */
export const KAFKA_JVM_PERFORMANCE_OPTS = ['-server', '-XX:+UseG1GC', '-XX:MaxGCPauseMillis=20', '-XX:InitiatingHeapOccupancyPercent=35', '-XX:+ExplicitGCInvokesConcurrent', '-XX:MaxInlineLevel=15', '-Djava.awt.headless=true'];
/** kafka-server-start.sh: -Xmx1G -Xms1G. */
export const KAFKA_SERVER_HEAP_MB = 1024;
/** kafka-producer-perf-test.sh and kafka-consumer-perf-test.sh: -Xmx512M. */
export const PERF_TOOL_HEAP = '-Xmx512M';
