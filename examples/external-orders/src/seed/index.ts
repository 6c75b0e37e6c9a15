export * from './seed-legacy-orders';
