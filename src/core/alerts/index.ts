export * from './types';
export * from './conditions';
export * from './engine';
export * from './store';
export * from './service';
export * from './settings';
