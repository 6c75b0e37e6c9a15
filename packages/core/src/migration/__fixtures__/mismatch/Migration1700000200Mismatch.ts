import { MigrationStep } from '../../migration-step';

export class Migration1700000200Mismatch extends MigrationStep {
  getCreationTimestamp(): number {
    return 1700000299;
  }

  async update(): Promise<void> {
    // intentionally empty: this fixture only exercises the name/timestamp check
  }
}
