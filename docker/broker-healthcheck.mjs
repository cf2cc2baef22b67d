// Docker HEALTHCHECK of the broker image: healthy when the Kafka port accepts a connection (the
// same test as the Kubernetes readiness probe). TRIBUTARY_HEALTH_PORT overrides the port.
import { connect } from 'node:net';

const port = Number(process.env.TRIBUTARY_HEALTH_PORT ?? '9092');
const socket = connect({ host: '127.0.0.1', port });
socket.setTimeout(4000);
socket.on('connect', () => {
  socket.end();
  process.exit(0);
});
socket.on('timeout', () => process.exit(1));
socket.on('error', () => process.exit(1));
