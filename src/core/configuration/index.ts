export * from './sources';
export * from './extensions';
export * from './describe';
