// What counts as a secret in argv and diagnostics: known token formats, credentials in URLs, Authorization
// headers and bearer tokens, `name=value` pairs whose name says password/secret/token/key, and flags that take a
// secret as the next argument. Each match is replaced with REDACTED and counted by kind.
import { ConfigError } from '../../config/load.ts';

export const REDACTED = '[REDACTED]';
export const REDACTION_KINDS = ['student_id', 'token', 'password', 'url_credentials', 'bearer', 'custom'] as const;
export type RedactionKind = (typeof REDACTION_KINDS)[number];

interface Rule {
  readonly kind: RedactionKind;
  /** Global regex; the replacement keeps group 1 (a prefix such as `--password=`) when the rule has one. */
  readonly re: RegExp;
  readonly keepPrefix: boolean;
  /** Cheap test a string must pass before the full rule runs (most argv elements pass none). */
  readonly hint?: RegExp;
}

// The name must end with the keyword: GITHUB_TOKEN=x and --password=x, not --token-limit=5 or max_tokens=5.
const SECRET_NAME = String.raw`[A-Za-z0-9_.-]*(?:passw(?:or)?d|passphrase|pwd|secret|token|api[_-]?key|access[_-]?key|secret[_-]?key|private[_-]?key|credentials?)`;
// A value another rule already redacted is not counted twice.
const SECRET_VALUE = String.raw`(?!["']?\[REDACTED\])(?:"[^"]*"|'[^']*'|[^\s&;,'"]+)`;

export const BUILTIN_RULES: readonly Rule[] = [
  // scheme://user:pass@host: keep the user, drop the password.
  { kind: 'url_credentials', re: /\b([a-z][a-z0-9+.-]*:\/\/[^\s/:@]*:)[^\s/@]+(?=@)/gi, keepPrefix: true, hint: /:\/\/.*@/ },
  { kind: 'bearer', re: /\b(authorization\s*[:=]\s*(?:(?:bearer|basic|token|digest)\s+)?)[^\s"']+/gi, keepPrefix: true, hint: /authorization/i },
  { kind: 'bearer', re: /\b(bearer\s+)[A-Za-z0-9\-._~+/]{16,}=*/gi, keepPrefix: true, hint: /bearer/i },
  // Known token formats (GitHub, GitLab, AWS access key IDs, Slack, OpenAI/Anthropic-style, Google API keys,
  // Hugging Face, npm, JWTs, PEM private keys).
  {
    kind: 'token',
    re: new RegExp([
      String.raw`\bgh[pousr]_[A-Za-z0-9]{30,255}\b`,
      String.raw`\bgithub_pat_[A-Za-z0-9_]{20,255}\b`,
      String.raw`\bglpat-[A-Za-z0-9_-]{20,}\b`,
      String.raw`\b(?:AKIA|ASIA)[0-9A-Z]{16}\b`,
      String.raw`\bxox[abposr]-[A-Za-z0-9-]{10,}\b`,
      String.raw`\bsk-(?:proj-|ant-)?[A-Za-z0-9_-]{20,}\b`,
      String.raw`\bAIza[0-9A-Za-z_-]{35}\b`,
      String.raw`\bhf_[A-Za-z0-9]{30,}\b`,
      String.raw`\bnpm_[A-Za-z0-9]{36}\b`,
      String.raw`\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}`,
      String.raw`-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)`,
    ].join('|'), 'g'),
    keepPrefix: false,
    hint: /gh[pousr]_|github_pat_|glpat-|AKIA|ASIA|xox|sk-|AIza|hf_|npm_|eyJ|PRIVATE KEY/,
  },
  // --password=x, PASSWORD=x, -DAPI_KEY="x", db_password: x (the `:` form only for password/secret names,
  // so compiler messages such as "token: ..." stay readable).
  { kind: 'password', re: new RegExp(String.raw`(${SECRET_NAME}\s*=\s*)${SECRET_VALUE}`, 'gi'), keepPrefix: true, hint: /passw|pwd|secret|token|key|credential/i },
  { kind: 'password', re: new RegExp(String.raw`(\b[A-Za-z0-9_.-]*(?:passw(?:or)?d|passphrase|pwd|secret)\s*:\s*)${SECRET_VALUE}`, 'gi'), keepPrefix: true, hint: /passw|pwd|secret/i },
  // The same flags inside one string: a shell command line (`bash -c "… --password x …"`), a diagnostic.
  { kind: 'password', re: /(--(?:password|passwd|pass|token|secret|api-key|apikey|access-token|auth-token|client-secret|secret-key|access-key)\s+)(?!\[REDACTED\])(?:"[^"]*"|'[^']*'|[^\s"'-][^\s"']*)/gi, keepPrefix: true, hint: /--(?:pass|token|secret|api|access|auth|client)/i },
  { kind: 'password', re: /(\b(?:sshpass|mysql|mariadb|mysqldump|mysqladmin)\s+(?:[^\s|;&]+\s+)*?-p\s*)(?!\[REDACTED\])[^\s"'-][^\s"']*/g, keepPrefix: true, hint: /sshpass|mysql|mariadb/ },
  { kind: 'password', re: /(\bredis-cli\s+(?:[^\s|;&]+\s+)*?-a\s+)(?!\[REDACTED\])\S+/g, keepPrefix: true, hint: /redis-cli/ },
  { kind: 'password', re: /(\bcurl\s(?:[^|;&\n]*?\s)?(?:-u|--user)\s+[^:\s]+:)(?!\[REDACTED\])[^\s"']+/g, keepPrefix: true, hint: /curl/ },
];

/** Long flags whose next argument is a secret (`--password x`). */
const SECRET_FLAGS = new Set([
  '--password', '--passwd', '--pass', '--token', '--secret', '--api-key', '--apikey', '--access-token', '--auth-token',
  '--client-secret', '--secret-key', '--access-key',
]);
/** Short flags that take a secret as the next argument, for the programs where they do (`mkdir -p dir` is left alone). */
const SHORT_SECRET_FLAGS: Readonly<Record<string, readonly string[]>> = {
  sshpass: ['-p'], mysql: ['-p'], mariadb: ['-p'], mysqldump: ['-p'], mysqladmin: ['-p'], 'redis-cli': ['-a'],
  curl: ['-u', '--user'], wget: ['--http-password', '--ftp-password'],
};

export type Counter = (kind: RedactionKind, n: number) => void;

/** Compile configured patterns once at start; a bad one is a ConfigError naming it. */
export function compileCustomRules(patterns: readonly string[]): Rule[] {
  return patterns.map((p, i) => {
    let re: RegExp;
    try {
      re = new RegExp(p, 'g');
    } catch (err) {
      throw new ConfigError(`config: privacy.redact_patterns[${i}]: ${JSON.stringify(p)} is not a valid regular expression: ${(err as Error).message}`);
    }
    if (re.test('')) throw new ConfigError(`config: privacy.redact_patterns[${i}]: ${JSON.stringify(p)} matches the empty string`);
    re.lastIndex = 0;
    return { kind: 'custom', re, keepPrefix: false };
  });
}

export function redactString(s: string, rules: readonly Rule[], count: Counter): string {
  let out = s;
  for (const rule of rules) {
    if (rule.hint && !rule.hint.test(out)) continue;
    let n = 0;
    out = out.replace(rule.re, (...m: unknown[]) => {
      n++;
      const prefix = rule.keepPrefix && typeof m[1] === 'string' ? m[1] : '';
      return prefix + REDACTED;
    });
    if (n) count(rule.kind, n);
  }
  return out;
}

/** argv: every element through the string rules, and the argument after a secret-taking flag replaced whole. */
export function redactArgv(argv: readonly string[], rules: readonly Rule[], count: Counter): string[] {
  const exe = (argv[0] ?? '').split('/').pop() ?? '';
  const shortFlags = SHORT_SECRET_FLAGS[exe] ?? [];
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    out.push(redactString(a, rules, count));
    const next = argv[i + 1];
    if (next === undefined) continue;
    if (SECRET_FLAGS.has(a.toLowerCase()) || shortFlags.includes(a)) {
      // curl -u user:pass keeps the user.
      const colon = exe === 'curl' ? next.indexOf(':') : -1;
      out.push(colon >= 0 ? next.slice(0, colon + 1) + REDACTED : REDACTED);
      count('password', 1);
      i++;
    }
  }
  return out;
}
