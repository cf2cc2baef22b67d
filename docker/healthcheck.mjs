// Docker HEALTHCHECK of the control-plane image: the API answers on its health path. Kubernetes
// ignores this and uses the chart's probes. For an operator-only container, disable it
// (`docker run --no-healthcheck`) or point TRIBUTARY_HEALTH_URL at something it serves.
const url = process.env.TRIBUTARY_HEALTH_URL ?? `http://127.0.0.1:${process.env.PORT ?? '8080'}/healthz`;
try {
  const res = await fetch(url, { signal: AbortSignal.timeout(4000) });
  process.exit(res.ok ? 0 : 1);
} catch {
  process.exit(1);
}
