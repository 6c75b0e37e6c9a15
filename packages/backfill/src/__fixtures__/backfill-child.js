'use strict';
// A separate process running a set-based counting backfill from the built package, so a test can kill it with
// SIGKILL. Configured through the environment:
//   CHILD_DB_URL      database URL of the test schema
//   CHILD_TABLE       table to backfill
//   CHILD_SET         JSON of the `set` assignments
//   CHILD_KILL_AFTER  if set, the process SIGKILLs itself right after this many committed batches
const { createDatabase } = require('@safemig/core');
const { BackfillRunner } = require('../../dist/index.js');

const db = createDatabase(process.env.CHILD_DB_URL);
const runner = new BackfillRunner({
  db,
  definition: {
    name: `crash.${process.env.CHILD_TABLE}`,
    table: process.env.CHILD_TABLE,
    where: 'done = 0',
    set: JSON.parse(process.env.CHILD_SET),
    batchSize: 50,
    minBatchSize: 50,
    maxBatchSize: 50,
  },
});
const killAfter = Number(process.env.CHILD_KILL_AFTER || 0);
let batches = 0;
runner.on('progress', (event) => {
  if (event.type !== 'batch') return;
  batches += 1;
  process.stdout.write(`batch ${event.batch.lastKey}\n`);
  if (killAfter > 0 && batches === killAfter) process.kill(process.pid, 'SIGKILL');
});
runner
  .run()
  .then((summary) => process.stdout.write(`done ${summary.status}\n`))
  .finally(() => db.destroy());
