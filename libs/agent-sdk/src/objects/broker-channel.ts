import type { ObjectReply, ObjectRequest } from '@ifreg/contracts';
import type { ObjectBroker } from '@ifreg/messaging';
import type { ProviderObjectChannel } from './object-channel';

/** A provider in the registry's own process (the all-in-one's host agent): attached to its broker. */
export class BrokerObjectChannel implements ProviderObjectChannel {
  private detach: (() => void) | undefined;

  constructor(private readonly broker: ObjectBroker, private readonly scope: string, private readonly providerId: string) {}

  async open(handle: (request: ObjectRequest) => void): Promise<void> {
    // Delivered on the next tick, as a transport would: the broker's request() never runs the handler inline.
    this.detach = this.broker.attach(this.scope, this.providerId, { deliver: (request) => void Promise.resolve(request).then(handle) });
  }

  async reply(_request: ObjectRequest, reply: ObjectReply): Promise<void> {
    this.broker.reply(reply, 'in-process');
  }

  async close(): Promise<void> {
    this.detach?.();
  }
}
