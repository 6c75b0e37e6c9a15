export const notAStep = 42;
