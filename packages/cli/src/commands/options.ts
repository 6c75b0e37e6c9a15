import { InvalidArgumentError } from 'commander';

/** A commander argument parser for a non-negative integer option, naming the option on bad input. */
export function integerOption(name: string): (value: string) => number {
  return (value) => {
    if (!/^\d+$/.test(value))
      throw new InvalidArgumentError(`${name} takes a whole number, got ${JSON.stringify(value)}.`);
    return Number(value);
  };
}
