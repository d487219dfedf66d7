// The `jcode-watcher` command.
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config/load.ts';
import { Agent } from '../core/agent.ts';
import { exportCommand, reportCommand, RESEARCH_USAGE } from './research.ts';

const USAGE = `usage: jcode-watcher run [--config FILE] [--workspaces DIR] [--output DIR] [--http-port N]

  run     watch student workspaces and export what students do as OpenTelemetry data
          (OTLP JSON lines under --output; OTLP/gRPC too when OTEL_EXPORTER_OTLP_ENDPOINT or otlp.endpoint is set)
${RESEARCH_USAGE}

Configuration keys and defaults: docs/config.md`;

const STOP_DEADLINE_MS = 9000;

export async function run(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        config: { type: 'string' },
        workspaces: { type: 'string' },
        output: { type: 'string' },
        'http-port': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (err) {
    process.stderr.write(`jcode-watcher: ${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  const portText = values['http-port'];
  const httpPort = portText === undefined ? undefined : /^\d+$/.test(portText) ? Number(portText) : NaN;
  let agent: Agent;
  try {
    const config = loadConfig(values.config, { workspaces: values.workspaces, output: values.output, httpPort: Number.isNaN(httpPort) ? -1 : httpPort });
    agent = new Agent(config);
  } catch (err) {
    process.stderr.write(`jcode-watcher: ${(err as Error).message}\n`);
    return err instanceof ConfigError ? 2 : 1;
  }
  let stopped!: (code: number) => void;
  const done = new Promise<number>((r) => (stopped = r));
  const onSignal = (sig: NodeJS.Signals) => {
    agent.log.info('signal received: stopping receivers and flushing', { signal: sig });
    // Exit within the pod's grace period even if an exporter hangs.
    setTimeout(() => {
      agent.log.error('shutdown deadline passed; exiting with data possibly unflushed');
      stopped(1);
    }, STOP_DEADLINE_MS).unref();
    agent.stop().then(() => stopped(0), (err) => {
      agent.log.error('shutdown failed', { error: (err as Error).message });
      stopped(1);
    });
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  try {
    await agent.start();
  } catch (err) {
    agent.log.error('agent failed to start', { error: (err as Error).message });
    await agent.stop().catch(() => undefined);
    return 1;
  }
  return done;
}

async function main(): Promise<void> {
  const [command, ...rest] = process.argv.slice(2);
  let code: number;
  switch (command) {
    case 'run':
      code = await run(rest);
      break;
    case 'export':
      code = await exportCommand(rest);
      break;
    case 'report':
      code = await reportCommand(rest);
      break;
    case undefined:
    case '-h':
    case '--help':
    case 'help':
      process.stdout.write(USAGE + '\n');
      code = command === undefined ? 2 : 0;
      break;
    default:
      process.stderr.write(`jcode-watcher: unknown command "${command}"\n${USAGE}\n`);
      code = 2;
  }
  process.exit(code);
}

await main();
