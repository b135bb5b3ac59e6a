export * from './status';
export * from './thresholds';
export * from './probes';
export * from './sampler';
export * from './report';
export * from './monitor';
export * from './settings';
export * from './markdown';
