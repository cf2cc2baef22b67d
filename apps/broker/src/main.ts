import { TRIBUTARY_VERSION } from '@tributary/contracts/cli';
import { ConfigError, parseArgs } from './config/broker-config.ts';
import { Broker } from './broker.ts';
import { jsonLogger } from './logger.ts';

/** `tributary-broker` entry point: parse flags, start, stop cleanly on SIGTERM/SIGINT. */
async function main(argv: string[]): Promise<void> {
  let broker: Broker;
  let logger;
  try {
    const config = parseArgs(argv);
    logger = jsonLogger({ component: 'broker', nodeId: config.nodeId });
    // Listener security (keystores, mechanisms) is resolved here too, so its mistakes stop start-up.
    broker = new Broker(config, logger);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`tributary-broker: invalid configuration: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  await broker.start();
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.log('info', 'shutting down', { signal });
    await broker.stop();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

// --help and --version answer before any flag is parsed or anything opened (the broker's own flags
// are parsed by config/broker-config.ts, which reports their mistakes).
const argv = process.argv.slice(2);
if (argv.includes('--help') || argv.includes('-h')) {
  process.stdout.write(`Usage: tributary-broker [flags]

A Kafka-wire-compatible broker (apps/broker/README.md). Flags:
  --data-dir DIR                 where the log lives (required)
  --node-id N                    broker id (default 1)
  --listeners LIST               e.g. PLAINTEXT://127.0.0.1:9092,SASL_PLAINTEXT://127.0.0.1:9093
  --advertised-listeners LIST    what clients are told (default: --listeners)
  --config FILE                  Kafka-style server.properties
  --set key=value                one broker setting (repeatable)
  --metrics-port N               Prometheus metrics
  --etcd-endpoints URLS          join a replicated cluster coordinated through etcd
  --cluster-id ID                the cluster's id (required with --etcd-endpoints)
  --rack RACK                    rack for replica placement
  --help                         this text
  --version    the version
`);
  process.exit(0);
}
if (argv.includes('--version')) {
  process.stdout.write(`tributary-broker ${TRIBUTARY_VERSION}\n`);
  process.exit(0);
}
await main(argv);
