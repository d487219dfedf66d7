// FAKE of the JBNU JCode-Watcher Analytics API (FastAPI backend), for tests only. It implements the write side
// of the contract in /work/shared/notes/analytics-api-and-seeds.md §2:
//
//   POST /api/{class_div}/{hw_name}/{student_id}/{filename}/{timestamp}   {bytes: int}
//   POST /api/{class_div}/{hw_name}/{student_id}/logs/build   {timestamp, exit_code: int, cmdline, cwd, binary_path, target_path}
//   POST /api/{class_div}/{hw_name}/{student_id}/logs/run     {timestamp, exit_code: int, cmdline, cwd, target_path, process_type}
//
// Like the real one it answers 200 to an accepted call and 422 (FastAPI's `{"detail": [{loc, msg, type}]}`) to a
// call whose path parameters or body fail validation; unknown paths get 404, other methods 405.
// Type checks follow FastAPI/pydantic: `student_id` an integer (leading zeros lost: "0042" → 42), `bytes` and
// `exit_code` integers, strings required, `timestamp` an ISO datetime, `process_type` "python" | "binary".
// Where the real API would store a value that breaks the data conventions, the fake is STRICTER and rejects it
// with 422 too, so a bridge bug cannot slip through: `class_div` = `<course>-<section>` (alphanumeric course,
// numeric section), `hw_name` = `hwN`, `filename` without `/`, snapshot `timestamp` = `YYYYmmdd_HHMMSS` (an
// optional `.ext` suffix is stripped, as the real one does), JSON numbers only for ints (pydantic's lax mode
// would also take "3"), build/run `timestamp` naive (no zone offset: the contract's "naive local ISO").
//
// It records accepted calls (`calls`) and rejected ones (`rejected`), can require a bearer token, and can be
// made "down" for a period: `down('503', ms)` answers 503, `down('refuse', ms)` closes the listening socket
// (connection refused) and reopens it on the same port afterwards.
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface SnapshotCall { kind: 'snapshot'; classDiv: string; hwName: string; studentId: number; filename: string; timestamp: string; body: { bytes: number } }
export interface BuildCall { kind: 'build'; classDiv: string; hwName: string; studentId: number; body: { timestamp: string; exit_code: number; cmdline: string; cwd: string; binary_path: string; target_path: string } }
export interface RunCall { kind: 'run'; classDiv: string; hwName: string; studentId: number; body: { timestamp: string; exit_code: number; cmdline: string; cwd: string; target_path: string; process_type: 'python' | 'binary' } }
export type AcceptedCall = (SnapshotCall | BuildCall | RunCall) & { path: string; authorization?: string; at: number };
export interface RejectedCall { method: string; path: string; status: number; detail: unknown; body: string }

export interface FakeAnalyticsApiOptions {
  host?: string;
  /** 0 (default) = a free port. */
  port?: number;
  /** When set, calls without `Authorization: Bearer <token>` get 401. */
  token?: string;
}

interface Issue { loc: (string | number)[]; msg: string; type: string }

const CLASS_DIV = /^[A-Za-z0-9]+-[0-9]+$/;
const HW_NAME = /^hw[0-9]+$/;
const SNAP_TS = /^(\d{4})(\d{2})(\d{2})_(\d{2})(\d{2})(\d{2})$/;
const ISO_NAIVE = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(\.\d{1,6})?$/;

function validDate(y: number, mo: number, d: number, h: number, mi: number, s: number): boolean {
  const t = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  return t.getUTCFullYear() === y && t.getUTCMonth() === mo - 1 && t.getUTCDate() === d && h < 24 && mi < 60 && s < 60;
}

function intField(body: Record<string, unknown>, name: string, issues: Issue[]): void {
  const v = body[name];
  if (v === undefined) issues.push({ loc: ['body', name], msg: 'Field required', type: 'missing' });
  else if (typeof v !== 'number' || !Number.isInteger(v)) issues.push({ loc: ['body', name], msg: 'Input should be a valid integer', type: 'int_type' });
}

function strField(body: Record<string, unknown>, name: string, issues: Issue[]): void {
  const v = body[name];
  if (v === undefined) issues.push({ loc: ['body', name], msg: 'Field required', type: 'missing' });
  else if (typeof v !== 'string') issues.push({ loc: ['body', name], msg: 'Input should be a valid string', type: 'string_type' });
}

function isoField(body: Record<string, unknown>, issues: Issue[]): void {
  strField(body, 'timestamp', issues);
  const v = body.timestamp;
  if (typeof v !== 'string') return;
  const m = ISO_NAIVE.exec(v);
  if (!m || !validDate(+m[1]!, +m[2]!, +m[3]!, +m[4]!, +m[5]!, +m[6]!)) issues.push({ loc: ['body', 'timestamp'], msg: 'Input should be a valid naive ISO datetime', type: 'datetime_from_date_parsing' });
}

export class FakeAnalyticsApi {
  readonly calls: AcceptedCall[] = [];
  readonly rejected: RejectedCall[] = [];
  /** Every request seen, accepted or not, in arrival order (including ones answered 503 while down). */
  readonly requests: { method: string; path: string; status: number }[] = [];
  private server: http.Server | undefined;
  private readonly sockets = new Set<Socket>();
  private downUntil = 0;
  private downMode: '503' | 'refuse' = '503';
  private reopenTimer: NodeJS.Timeout | undefined;
  port = 0;
  host: string;

  constructor(private readonly opts: FakeAnalyticsApiOptions = {}) {
    this.host = opts.host ?? '127.0.0.1';
  }

  get url(): string {
    return `http://${this.host}:${this.port}`;
  }

  async start(): Promise<this> {
    await this.listen(this.opts.port ?? 0);
    return this;
  }

  private listen(port: number): Promise<void> {
    const server = http.createServer((req, res) => this.handle(req, res));
    server.on('connection', (s) => { this.sockets.add(s); s.on('close', () => this.sockets.delete(s)); });
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, this.host, () => {
        server.off('error', reject);
        this.port = (server.address() as AddressInfo).port;
        resolve();
      });
    });
  }

  private async closeServer(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    await new Promise<void>((resolve) => { s.close(() => resolve()); for (const sock of this.sockets) sock.destroy(); });
  }

  /** Be unavailable for `ms`: answer 503, or refuse connections (listening socket closed, reopened later). */
  async down(mode: '503' | 'refuse', ms: number): Promise<void> {
    this.downMode = mode;
    this.downUntil = Date.now() + ms;
    if (mode === 'refuse') {
      await this.closeServer();
      clearTimeout(this.reopenTimer);
      this.reopenTimer = setTimeout(() => { void this.listen(this.port); }, ms);
    }
  }

  /** Back up now. */
  async up(): Promise<void> {
    this.downUntil = 0;
    clearTimeout(this.reopenTimer);
    if (!this.server) await this.listen(this.port);
  }

  async close(): Promise<void> {
    clearTimeout(this.reopenTimer);
    await this.closeServer();
  }

  /** Accepted calls of one kind. */
  of<K extends AcceptedCall['kind']>(kind: K): Extract<AcceptedCall, { kind: K }>[] {
    return this.calls.filter((c) => c.kind === kind) as Extract<AcceptedCall, { kind: K }>[];
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const path = (req.url ?? '/').split('?')[0]!;
      const send = (status: number, body: unknown) => {
        this.requests.push({ method: req.method ?? '', path, status });
        if (status !== 200) this.rejected.push({ method: req.method ?? '', path, status, detail: body, body: raw });
        const text = JSON.stringify(body);
        res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
        res.end(text);
      };
      if (this.downMode === '503' && Date.now() < this.downUntil) return send(503, { detail: 'Service Unavailable (fake is down)' });
      this.route(req, path, raw, send);
    });
  }

  private route(req: http.IncomingMessage, path: string, raw: string, send: (status: number, body: unknown) => void): void {
    let segs: string[];
    try {
      segs = path.split('/').slice(1).map(decodeURIComponent);
    } catch {
      return send(404, { detail: 'Not Found' });
    }
    if (segs[0] !== 'api' || segs.length !== 6 || segs.some((s) => s === '')) return send(404, { detail: 'Not Found' });
    if (req.method !== 'POST') return send(405, { detail: 'Method Not Allowed' });
    if (this.opts.token && req.headers.authorization !== `Bearer ${this.opts.token}`) return send(401, { detail: 'Not authenticated' });

    const [, classDiv, hwName, studentRaw, a, b] = segs as [string, string, string, string, string, string];
    const kind: AcceptedCall['kind'] = a === 'logs' && (b === 'build' || b === 'run') ? b : 'snapshot';
    const issues: Issue[] = [];
    if (!CLASS_DIV.test(classDiv)) issues.push({ loc: ['path', 'class_div'], msg: 'class_div must be <course>-<section> (fake: convention check)', type: 'value_error' });
    if (!HW_NAME.test(hwName)) issues.push({ loc: ['path', 'hw_name'], msg: 'hw_name must be hwN (fake: convention check)', type: 'value_error' });
    const studentOk = /^[+-]?\d+$/.test(studentRaw);
    if (!studentOk) issues.push({ loc: ['path', 'student_id'], msg: 'Input should be a valid integer, unable to parse string as an integer', type: 'int_parsing' });
    let timestamp = '';
    if (kind === 'snapshot') {
      if (a.includes('/')) issues.push({ loc: ['path', 'filename'], msg: 'filename must not contain "/" (fake: convention check)', type: 'value_error' });
      timestamp = b.replace(/\.[^.]*$/, '');
      const m = SNAP_TS.exec(timestamp);
      if (!m || !validDate(+m[1]!, +m[2]!, +m[3]!, +m[4]!, +m[5]!, +m[6]!)) issues.push({ loc: ['path', 'timestamp'], msg: 'timestamp must be YYYYmmdd_HHMMSS', type: 'value_error' });
    }

    let body: Record<string, unknown> = {};
    try {
      const parsed: unknown = JSON.parse(raw);
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) issues.push({ loc: ['body'], msg: 'Input should be a valid dictionary', type: 'model_attributes_type' });
      else body = parsed as Record<string, unknown>;
    } catch {
      issues.push({ loc: ['body', 0], msg: 'JSON decode error', type: 'json_invalid' });
    }
    if (kind === 'snapshot') intField(body, 'bytes', issues);
    else {
      isoField(body, issues);
      intField(body, 'exit_code', issues);
      for (const f of ['cmdline', 'cwd', 'target_path']) strField(body, f, issues);
      if (kind === 'build') strField(body, 'binary_path', issues);
      else if (body.process_type !== 'python' && body.process_type !== 'binary') issues.push({ loc: ['body', 'process_type'], msg: "Input should be 'python' or 'binary'", type: 'literal_error' });
    }
    if (issues.length) return send(422, { detail: issues });

    const common = { path, classDiv, hwName, studentId: Number(BigInt(studentRaw)), authorization: req.headers.authorization, at: Date.now() };
    if (kind === 'snapshot') this.calls.push({ ...common, kind, filename: a, timestamp, body: { bytes: body.bytes as number } });
    else if (kind === 'build') {
      const { timestamp: ts, exit_code, cmdline, cwd, binary_path, target_path } = body as BuildCall['body'];
      this.calls.push({ ...common, kind, body: { timestamp: ts, exit_code, cmdline, cwd, binary_path, target_path } });
    } else {
      const { timestamp: ts, exit_code, cmdline, cwd, target_path, process_type } = body as RunCall['body'];
      this.calls.push({ ...common, kind, body: { timestamp: ts, exit_code, cmdline, cwd, target_path, process_type } });
    }
    send(200, { message: 'ok' });
  }
}

export async function startFakeAnalyticsApi(opts: FakeAnalyticsApiOptions = {}): Promise<FakeAnalyticsApi> {
  return new FakeAnalyticsApi(opts).start();
}
