// Test support for adapter specs; kept out of index.ts so production code never loads jest globals.
export { eventStoreContract } from './contract-suite';
export { makeEvents, sleep, waitFor } from './contract-fixture';
