export * from './information-schema';
export * from './schema-helpers';
