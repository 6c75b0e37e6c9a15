import { startThrowawayServer } from '../throwaway-server';

// Starts a throwaway server, prints where it lives, and exits WITHOUT stopping it: the exit hook must clean up.
async function main(): Promise<void> {
  const server = await startThrowawayServer();
  process.stdout.write(`${JSON.stringify({ pid: server.pid, directory: server.directory, port: server.port })}\n`);
  process.exit(0);
}

void main();
