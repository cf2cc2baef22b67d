import { Counter, Gauge, Registry } from 'prom-client';
import type { Refusal } from './admission.ts';

/**
 * The operator's metering metrics (served by main.ts on TRIBUTARY_OPERATOR_METRICS_PORT when set):
 * samples refused by the clock-skew rule (admission.ts) and how far this host's clock is from
 * PostgreSQL's, so a drifting host is seen before it costs minutes of gauges.
 */
export class MeteringMetrics {
  readonly registry = new Registry();
  readonly refused = new Counter({
    name: 'tributary_metering_samples_refused_total', help: 'Broker samples not stored, by reason: duplicate (a re-run), stale (stamped before a minute already stored for the broker), future (stamped ahead of the database clock beyond the bound)',
    labelNames: ['reason'] as const, registers: [this.registry],
  });
  readonly skew = new Gauge({
    name: 'tributary_metering_clock_skew_seconds', help: "This operator host's clock minus PostgreSQL's clock at the last metering pass",
    registers: [this.registry],
  });

  record(refused: Record<Refusal, number>, hostMinusDbMs: number): void {
    for (const [reason, n] of Object.entries(refused)) if (n > 0) this.refused.inc({ reason }, n);
    this.skew.set(hostMinusDbMs / 1000);
  }
}
