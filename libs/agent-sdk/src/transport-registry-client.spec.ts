import type { RegistryEvent } from '@ifreg/domain';
import type { OutboundMessage, Outcome } from '@ifreg/ports';
import { RegistryTimeoutError, RegistryUnavailableError } from './errors';
import { TransportRegistryClient, type ConnectableProducer, type StartableOutcomeSource } from './transport-registry-client';
import type { WireMessage } from './registry-client';

// The two Kafka ports recorded in memory; TransportRegistryClient against a real broker and
// registrar is in services/agent-linux (sdk-kafka.int.spec.ts).

class RecordingProducer implements ConnectableProducer {
  readonly sent: OutboundMessage[] = [];
  failNext: Error | undefined;
  onSend: (message: OutboundMessage) => void = () => undefined;
  async connect(): Promise<void> {}
  async disconnect(): Promise<void> {}
  async send(messages: readonly OutboundMessage[]): Promise<void> {
    const failure = this.failNext;
    this.failNext = undefined;
    if (failure) throw failure;
    this.sent.push(...messages);
    messages.forEach((m) => this.onSend(m));
  }
}

class ManualOutcomes implements StartableOutcomeSource {
  private readonly listeners = new Set<(outcome: Outcome) => void>();
  started = false;
  async start(): Promise<void> {
    this.started = true;
  }
  async stop(): Promise<void> {
    this.started = false;
  }
  onOutcome(listener: (outcome: Outcome) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  publish(causationId: string, position = 1): void {
    const event: RegistryEvent = { type: 'BootEpochStarted', scope: 'host-a', epoch: 1, causationId, at: '2026-11-24T12:00:00.000Z' };
    for (const listener of this.listeners) listener({ scope: 'host-a', event, position });
  }
}

const boot = (messageId: string): WireMessage => ({ type: 'BootEpoch', schemaVersion: 1, messageId, scope: 'host-a', bootId: 'b-1' });

let producer: RecordingProducer;
let outcomes: ManualOutcomes;
let client: TransportRegistryClient;

beforeEach(async () => {
  producer = new RecordingProducer();
  outcomes = new ManualOutcomes();
  client = new TransportRegistryClient({ producer, outcomes, timeoutMs: 1000 });
  await client.connect();
});
afterEach(() => client.close());

describe('a message whose outcome is published', () => {
  it('is sent keyed by scope and resolves with the outcome of the same causation id, even one published during the send', async () => {
    producer.onSend = (m) => {
      outcomes.publish('someone-else', 1);
      outcomes.publish((JSON.parse(m.value) as WireMessage).messageId, 9);
    };

    const outcome = await client.send(boot('m-1'));

    expect(outcome).toMatchObject({ position: 9, event: { causationId: 'm-1' } });
    expect(producer.sent).toEqual([{ key: 'host-a', value: JSON.stringify(boot('m-1')) }]);
    expect(outcomes.started).toBe(true);
  });
});

describe('a message whose outcome does not come', () => {
  it('rejects with RegistryTimeoutError after the per-call timeout', async () => {
    await expect(client.send(boot('m-2'), { timeoutMs: 20 })).rejects.toThrow(new RegistryTimeoutError('m-2', 20));
  });
});

describe('a send the broker does not take', () => {
  it('rejects with a retriable RegistryUnavailableError, and the same id sent again still gets its outcome', async () => {
    // given
    producer.failNext = new Error('Connection error: ECONNREFUSED');
    await expect(client.send(boot('m-3'), { timeoutMs: 30 })).rejects.toMatchObject({ name: 'RegistryUnavailableError', retriable: true });
    // when: retried; the abandoned wait's timer (30 ms) runs out meanwhile and must not cancel this one
    producer.onSend = () => setTimeout(() => outcomes.publish('m-3', 4), 60);
    const outcome = await client.send(boot('m-3'), { timeoutMs: 1000 });
    // then
    expect(outcome.position).toBe(4);
  });
});

describe('closing the client', () => {
  it('rejects the waits still open instead of leaving them to time out', async () => {
    const waiting = client.send(boot('m-4'), { timeoutMs: 60_000 });
    await new Promise((resolve) => setImmediate(resolve));

    await client.close();

    await expect(waiting).rejects.toBeInstanceOf(RegistryUnavailableError);
    expect(outcomes.started).toBe(false);
  });
});
