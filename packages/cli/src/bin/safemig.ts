#!/usr/bin/env node
import { runCli } from '../program';

runCli(process.argv).then((code) => {
  process.exitCode = code;
});
