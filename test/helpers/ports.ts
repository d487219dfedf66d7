// Ports for servers that tests and benchmarks start. Chosen below the kernel's ephemeral range
// (ip_local_port_range, 32768+ by default): a port picked by listen(0) there can be taken by any
// outgoing connection before the server that was meant to use it binds (seen in CI).
import net from 'node:net';

const LOW = 15000;
const HIGH = 32000;
const handedOut = new Set<number>();

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

export async function freePort(): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const port = LOW + Math.floor(Math.random() * (HIGH - LOW));
    if (handedOut.has(port)) continue;
    handedOut.add(port);
    if (await canBind(port)) return port;
  }
  throw new Error(`no free port found in ${LOW}-${HIGH}`);
}
