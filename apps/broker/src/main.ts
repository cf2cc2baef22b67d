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

await main(process.argv.slice(2));
