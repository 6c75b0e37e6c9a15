export * from './cli-context';
export * from './config/safemig-config';
export * from './exit-codes';
export * from './program';
export { renderStatus } from './commands/status-command';
