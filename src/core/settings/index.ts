export * from './schema';
export * from './rules';
export * from './validate';
export * from './values';
