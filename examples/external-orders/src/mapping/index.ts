export * from './derive-order-fields';
export * from './legacy-formats';
