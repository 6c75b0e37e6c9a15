export * from './flag-prerequisite';
export * from './flag-reader';
export * from './flag-state';
export * from './flag-store';
