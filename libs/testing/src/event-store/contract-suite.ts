/// <reference types="jest" />
import { appendContract } from './contract-append';
import { useFreshStore, type CreateStore, type DisposeStore } from './contract-fixture';
import { readAheadContract } from './contract-read-ahead';
import { subscribeContract } from './contract-subscribe';

/**
 * The behaviour every EventStore adapter must show (DESIGN §2.5), as jest blocks.
 * `create` must answer an empty store of its own (a fresh file, schema or database):
 * positions are checked from 1. `dispose` defaults to `store.close()`.
 */
export function eventStoreContract(name: string, create: CreateStore, dispose?: DisposeStore): void {
  describe(`${name} event store contract`, () => {
    const fixture = useFreshStore(create, dispose);
    appendContract(fixture);
    subscribeContract(fixture);
    readAheadContract(fixture);
  });
}
