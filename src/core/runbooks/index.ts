export * from './library';
export * from './forAlert';
export * from './render';
export * from './page';
