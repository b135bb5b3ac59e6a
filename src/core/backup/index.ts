export * from './types';
export * from './crypto';
export * from './walk';
export * from './catalog';
export * from './archive';
export { archiveWriter } from './archiveWriter';
export * from './manager';
export { watcherSeesAll, type ChangeLog } from './changeList';
export { inflatePath, type InflatePath } from './inflater';
