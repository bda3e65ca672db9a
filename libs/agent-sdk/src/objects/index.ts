export * from './object-handlers';
export * from './object-channel';
export * from './object-server';
export * from './broker-channel';
export * from './websocket-channel';
