import { randomUUID } from 'node:crypto';
import { readBootId, readHostInterfaces } from '@ifreg/host-interfaces';
import type { AgentMessageProducer, Outcome, OutcomeWaiter } from '@ifreg/messaging';
import { nameBasedUuid, type Logger } from '@ifreg/platform';
import type { ReadModelService } from '@ifreg/query';

export interface HostRegistrationDeps {
  readonly scope: string;
  readonly producer: AgentMessageProducer;
  readonly waiter: OutcomeWaiter;
  readonly readModel: ReadModelService;
  readonly log: Logger;
  readonly timeoutMs: number;
}

/**
 * Registers this machine's real interfaces in `scope`, as a provider would at start:
 * a BootEpoch first when the host booted since the scope's last epoch, then a detection
 * per interface. Re-running it in the same boot changes nothing (same LUIDs, same info).
 */
export async function registerHostInterfaces(deps: HostRegistrationDeps): Promise<Outcome[]> {
  const { scope, log } = deps;
  const messages: { messageId: string; body: object }[] = [];
  const bootId = await readBootId();
  if (bootId && deps.readModel.model.scopes.get(scope)?.bootId !== bootId) {
    const messageId = nameBasedUuid('ifreg/boot', scope, bootId);
    messages.push({ messageId, body: { type: 'BootEpoch', schemaVersion: 1, messageId, scope, bootId, at: new Date().toISOString() } });
  }
  for (const hostIf of await readHostInterfaces()) {
    const messageId = randomUUID();
    messages.push({
      messageId,
      body: {
        type: 'InterfaceDetected',
        schemaVersion: 1,
        messageId,
        scope,
        providerId: 'all-in-one/host',
        luid: hostIf.luid,
        providerIfContext: `linux:${hostIf.name}`,
        info: hostIf.info,
        detectedAt: new Date().toISOString(),
      },
    });
  }
  const outcomes = messages.map((m) => deps.waiter.expect(m.messageId, deps.timeoutMs));
  await deps.producer.send(messages.map((m) => ({ key: scope, value: JSON.stringify(m.body), headers: { ce_id: m.messageId } })));
  const settled = await Promise.all(outcomes);
  for (const { event } of settled) {
    if (event.type === 'InterfaceRegistered') log.info({ scope, ifIndex: event.ifIndex, name: event.info.friendlyName }, 'host interface registered');
    else if (event.type === 'BootEpochStarted') log.info({ scope, epoch: event.epoch, bootId: event.bootId }, 'new boot epoch');
    else if (event.type === 'RegistrationFailed') log.warn({ scope, status: event.status, reason: event.reason }, 'host interface not registered');
  }
  return settled;
}
