export * from './identity';
export * from './registry';
export * from './keyStore';
export * from './moveJournal';
export * from './moveState';
export * from './legacy';
export * from './backupsMove';
