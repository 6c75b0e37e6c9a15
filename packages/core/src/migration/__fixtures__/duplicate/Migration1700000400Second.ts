import { MigrationStep } from '../../migration-step';

export class Migration1700000400Second extends MigrationStep {
  getCreationTimestamp(): number {
    return 1700000400;
  }

  async update(): Promise<void> {
    // intentionally empty: this fixture only exercises the duplicate check
  }
}
