// gcc, g++ and clang diagnostics, the GNU linker's errors and the drivers' own errors, from stripped stderr lines:
//   main.c: In function ‘main’:                              context for what follows
//   main.c:3:12: error: ‘x’ undeclared (first use …)        one diagnostic; its source excerpt and caret follow
//   main.c:9:5: warning: unused variable ‘y’ [-Wunused-variable]
//   /usr/bin/ld: /tmp/cc1.o: in function `main':              linker context
//   main.c:(.text+0x9): undefined reference to `foo'          (with -g: main.c:2: undefined reference …)
//   collect2: error: ld returned 1 exit status                a driver's own error
import { clip, type Diagnostic, type DiagnosticTool, type Severity } from './types.ts';

const LOCATED = /^(?<file>[^\s:][^:]*?):(?<line>\d+):(?:(?<col>\d+):)? (?<sev>fatal error|error|warning|note): (?<msg>.*)$/;
const CONTEXT = /^(?<file>[^\s:][^:]*?): In (?:(?:static |member |inline )*function|constructor|destructor|lambda function|instantiation of) [‘'`](?<fn>.*)[’'`]:$/;
const TOP_LEVEL = /^[^\s:][^:]*?: At (?:top level|global scope):$/;
const LD = String.raw`(?:\S*\bld(?:\.\w+)?: )?`;
const LINK_CONTEXT = new RegExp(String.raw`^${LD}(?<obj>[^\s:][^:]*?): in function [\`‘'](?<fn>.+?)['’]:$`);
const LINK_ERROR = new RegExp(String.raw`^${LD}(?<loc>[^\s:][^:]*?(?::\d+)?(?::?\([^)]*\))?): (?<msg>(?<kind>undefined reference to|multiple definition of|relocation truncated to fit|undefined symbol) .*)$`);
const LINK_NOT_FOUND = /^\S*\bld(?:\.\w+)?: (?<msg>cannot find .*)$/;
const DRIVER = /^(?<tool>[A-Za-z_][\w.+-]*): (?<sev>fatal error|error|warning|note): (?<msg>.*)$/;
const SUMMARY = /^(?:\d+ (?:warning|error)s?(?: and \d+ (?:warning|error)s?)? generated\.|compilation terminated\.)$/;
const FLAGS = /\s\[(?<flags>-[^\]]+)\]$/;

const LINK_KINDS: Readonly<Record<string, string>> = {
  'undefined reference to': 'undefined_reference',
  'multiple definition of': 'multiple_definition',
  'relocation truncated to fit': 'relocation_truncated',
  'undefined symbol': 'undefined_reference',
};

function severity(s: string): Severity {
  return s === 'fatal error' ? 'fatal' : (s as Severity);
}

/** `[-Wunused-variable]`, `[-Werror=implicit-function-declaration]`, clang's `[-Werror,-Wunused]`: the warning option. */
function splitFlag(msg: string): { message: string; flag?: string } {
  const m = FLAGS.exec(msg);
  if (!m) return { message: msg };
  const opts = m.groups!.flags!.split(',').map((o) => o.trim());
  const w = opts.find((o) => o.startsWith('-W') && o !== '-Werror') ?? opts[0]!;
  const flag = w.startsWith('-Werror=') ? '-W' + w.slice('-Werror='.length) : w;
  return { message: msg.slice(0, m.index), flag };
}

interface Open {
  d: Omit<Diagnostic, 'raw'>;
  lines: string[];
}

export function parseCompilerOutput(lines: readonly string[]): Diagnostic[] {
  const out: Diagnostic[] = [];
  let fn: string | undefined; // compiler context ("In function")
  let linkFn: string | undefined; // linker context
  let open: Open | undefined;
  const close = () => {
    if (open) out.push({ ...open.d, raw: clip(open.lines.join('\n')) });
    open = undefined;
  };
  const start = (i: number, d: Omit<Diagnostic, 'raw' | 'firstLine'>) => {
    close();
    open = { d: { ...d, firstLine: i }, lines: [lines[i]!] };
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    let m: RegExpExecArray | null;
    if ((m = CONTEXT.exec(line))) {
      close();
      fn = m.groups!.fn;
    } else if (TOP_LEVEL.test(line)) {
      close();
      fn = undefined;
    } else if ((m = LOCATED.exec(line))) {
      const g = m.groups!;
      const { message, flag } = splitFlag(g.msg!);
      start(i, {
        severity: severity(g.sev!), message, tool: 'compiler', file: g.file!, line: Number(g.line),
        ...(g.col ? { column: Number(g.col) } : {}), ...(flag ? { flag } : {}), ...(fn ? { function: fn } : {}),
      });
    } else if ((m = LINK_CONTEXT.exec(line))) {
      close();
      linkFn = m.groups!.fn;
    } else if ((m = LINK_ERROR.exec(line))) {
      const g = m.groups!;
      // `main.c:(.text+0x9)`, `/abs/main.c:2`, `/tmp/cc1.o:(.bss+0x0)`
      const loc = /^(?<file>.*?)(?::(?<line>\d+))?(?::?\([^)]*\))?$/.exec(g.loc!)!.groups!;
      start(i, {
        severity: 'error', message: g.msg!, tool: 'linker', errorType: LINK_KINDS[g.kind!]!, file: loc.file!,
        ...(loc.line ? { line: Number(loc.line) } : {}), ...(linkFn ? { function: linkFn } : {}),
      });
    } else if ((m = LINK_NOT_FOUND.exec(line))) {
      start(i, { severity: 'error', message: m.groups!.msg!, tool: 'linker', errorType: 'library_not_found' });
    } else if ((m = DRIVER.exec(line))) {
      const g = m.groups!;
      start(i, { severity: severity(g.sev!), message: g.msg!, tool: 'driver' as DiagnosticTool });
    } else if (SUMMARY.test(line)) {
      close();
    } else if (open && line !== '') {
      // Source excerpt, caret, fix-it, "In file included from", a multi-line note's continuation.
      open.lines.push(line);
    }
  }
  close();
  return out;
}
