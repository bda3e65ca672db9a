export * from './event-ids';
export * from './scope-cache';
export * from './registrar-service';
export * from './metrics';
export * from './fingerprint';
export * from './recorded-messages';
export * from './object-sets';
export * from './scope-snapshots';
