/**
 * What `GET /metrics` tells a Prometheus scraper about one relay process: connections,
 * pushes by outcome, deliveries, how long notices from other relay processes take to reach
 * this one's sockets, and how long the database takes per stored round. Counts and timings
 * only: no vault, key or address is ever a label (labels would be a directory of who uses
 * the relay, and unbounded).
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export interface RelayGauges {
  connections(): number;
  authenticated(): number;
  subscriptions(): number;
}

export class RelayMetrics {
  readonly registry = new Registry();
  /** accepted, or the refusal's code (REPLAY, COUNTER_GAP, QUOTA_EXCEEDED…): a closed set. */
  readonly pushes = new Counter({ name: 'tessera_relay_pushes_total', help: 'Pushes answered, by outcome: accepted or the refusal code', labelNames: ['outcome'], registers: [this.registry] });
  readonly refusals = new Counter({ name: 'tessera_relay_refusals_total', help: 'Requests of any kind answered with an error, by code', labelNames: ['code'], registers: [this.registry] });
  readonly deliveries = new Counter({ name: 'tessera_relay_deliveries_total', help: 'Envelopes handed to subscribers here, by where they were stored (local: this process; remote: another relay process)', labelNames: ['source'], registers: [this.registry] });
  readonly fanOutLag = new Histogram({
    name: 'tessera_relay_fanout_lag_seconds',
    help: 'From the commit on another relay process (the database clock) to the delivery to subscribers here',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  readonly database = new Histogram({
    name: 'tessera_relay_database_seconds',
    help: 'Time the database took to store one round of pushes (one transaction)',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [this.registry],
  });
  readonly noticeResumes = new Counter({ name: 'tessera_relay_notice_resumes_total', help: 'Times listening to other relay processes started again after a break (followed by a catch-up read)', registers: [this.registry] });

  constructor(gauges: RelayGauges) {
    const gauge = (name: string, help: string, read: () => number) =>
      new Gauge({
        name,
        help,
        registers: [this.registry],
        collect() {
          this.set(read());
        },
      });
    gauge('tessera_relay_connections', 'Open WebSocket connections', gauges.connections);
    gauge('tessera_relay_authenticated_connections', 'Connections past the signed challenge', gauges.authenticated);
    gauge('tessera_relay_subscriptions', 'Vault subscriptions across connections', gauges.subscriptions);
  }

  /** The Prometheus text exposition format. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
