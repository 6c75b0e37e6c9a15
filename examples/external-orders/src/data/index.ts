export * from './external-order-definition';
export * from './external-order-entity';
export * from './external-order-repository';
export * from './legacy-external-order-repository';
