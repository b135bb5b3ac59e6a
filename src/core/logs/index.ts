export * from './types';
export * from './redact';
export * from './channelFile';
export * from './reader';
export * from './search';
export * from './summary';
export * from './export';
export * from './manager';
