import { describe, it, expect } from 'vitest';
import { Classifier, envTarget, type ExecLike } from '../../processors/correlate/classify.ts';
import { parseCompileArgs } from '../../processors/correlate/compile-args.ts';
import type { ExecKind } from '../../processors/correlate/types.ts';

const WS = '/home/s/ws';
const inWorkspace = (p: string) => p.startsWith(`${WS}/`);

function ex(filename: string, o: Partial<ExecLike> = {}): ExecLike {
  return { filename, cwd: `${WS}/hw1`, argv: [filename], exeName: filename.split('/').pop()!, interp: filename, ...o };
}

// [description, exec, kind, span name]
const TABLE: [string, ExecLike, ExecKind, string][] = [
  ['gcc (exe is the triplet name)', ex('/usr/bin/gcc', { exeName: 'x86_64-linux-gnu-gcc-12' }), 'compile', 'gcc'],
  ['x86_64-linux-gnu-gcc-12 called directly', ex('/usr/bin/x86_64-linux-gnu-gcc-12'), 'compile', 'gcc'],
  ['gcc-12', ex('/usr/bin/gcc-12'), 'compile', 'gcc'],
  ['g++', ex('/usr/bin/g++', { exeName: 'x86_64-linux-gnu-g++-12' }), 'compile', 'g++'],
  ['cc via alternatives', ex('/usr/bin/cc', { exeName: 'x86_64-linux-gnu-gcc-12' }), 'compile', 'cc'],
  ['c++', ex('/usr/bin/c++', { exeName: 'x86_64-linux-gnu-g++-12' }), 'compile', 'c++'],
  ['clang', ex('/usr/bin/clang', { exeName: 'clang-17' }), 'compile', 'clang'],
  ['clang++-17', ex('/usr/lib/llvm-17/bin/clang++-17'), 'compile', 'clang++'],
  ['arm-none-eabi-g++', ex('/opt/arm/bin/arm-none-eabi-g++'), 'compile', 'g++'],
  ['gcc-ar is not a compiler', ex('/usr/bin/gcc-ar'), 'other', 'gcc-ar'],
  ['make', ex('/usr/bin/make'), 'build', 'make'],
  ['gmake', ex('/usr/local/bin/gmake'), 'build', 'gmake'],
  ['cmake', ex('/usr/bin/cmake'), 'build', 'cmake'],
  ['ninja', ex('/usr/bin/ninja'), 'build', 'ninja'],
  ['python3', ex('/usr/bin/python3', { exeName: 'python3.11' }), 'interpret', 'python3'],
  ['python3.11', ex('/usr/bin/python3.11'), 'interpret', 'python3'],
  ['python', ex('/usr/bin/python', { exeName: 'python3.11' }), 'interpret', 'python'],
  [
    'pyenv shim (a bash script run through env)',
    ex('/home/s/.pyenv/shims/python3', { exeName: 'env', interp: '/usr/bin/env', argv: ['/usr/bin/env', 'bash', '/home/s/.pyenv/shims/python3', 's.py'] }),
    'interpret',
    'python3',
  ],
  ['pyenv helper', ex('/home/s/.pyenv/libexec/pyenv-exec', { exeName: 'env', interp: '/usr/bin/env', argv: ['/usr/bin/env', 'bash', '/home/s/.pyenv/libexec/pyenv-exec', 'python3'] }), 'other', 'pyenv-exec'],
  ['virtualenv python inside the workspace', ex(`${WS}/.venv/bin/python3`, { exeName: 'python3.12' }), 'interpret', 'python3'],
  ['#!/usr/bin/env python3 shebang', ex('./s.py', { exeName: 'env', interp: '/usr/bin/env', argv: ['/usr/bin/env', 'python3', './s.py'] }), 'interpret', 'python3'],
  ['#!/usr/bin/env -S python3 -u', ex('./s.py', { exeName: 'env', interp: '/usr/bin/env', argv: ['/usr/bin/env', '-S python3 -u', './s.py'] }), 'interpret', 'python3'],
  ['#!/usr/bin/python3 shebang', ex('./s.py', { exeName: 'python3.11', interp: '/usr/bin/python3', argv: ['/usr/bin/python3', './s.py'] }), 'interpret', 'python3'],
  ['env python3 typed by hand', ex('/usr/bin/env', { argv: ['env', 'PYTHONPATH=.', 'python3', 'x.py'] }), 'interpret', 'python3'],
  ['#!/bin/bash script in the workspace', ex('./test.sh', { exeName: 'bash', interp: '/bin/bash', argv: ['/bin/bash', './test.sh'] }), 'other', 'test.sh'],
  ['cc1', ex('/usr/lib/gcc/x86_64-linux-gnu/12/cc1'), 'toolchain', 'cc1'],
  ['cc1plus (another layout)', ex('/usr/libexec/gcc/x86_64-redhat-linux/13/cc1plus'), 'toolchain', 'cc1plus'],
  ['cc1obj', ex('/usr/lib/gcc/x86_64-linux-gnu/12/cc1obj'), 'toolchain', 'cc1obj'],
  ['as', ex('/usr/bin/as', { exeName: 'x86_64-linux-gnu-as' }), 'toolchain', 'as'],
  ['collect2', ex('/usr/lib/gcc/x86_64-linux-gnu/12/collect2'), 'toolchain', 'collect2'],
  ['ld → ld.bfd', ex('/usr/bin/ld', { exeName: 'x86_64-linux-gnu-ld.bfd' }), 'toolchain', 'ld'],
  ['ld.gold', ex('/usr/bin/ld.gold'), 'toolchain', 'ld'],
  ['lto-wrapper', ex('/usr/lib/gcc/x86_64-linux-gnu/12/lto-wrapper'), 'toolchain', 'lto-wrapper'],
  ['./a.out in the workspace', ex('./a.out'), 'run', 'run'],
  ['student binary by absolute path', ex(`${WS}/hw2/prog`), 'run', 'run'],
  ['a workspace binary named like a compiler is still a run', ex('./cc'), 'run', 'run'],
  ['my-cc outside the workspace is not a compiler', ex('/usr/local/bin/my-cc'), 'other', 'my-cc'],
  ['/usr/bin/ls', ex('/usr/bin/ls'), 'other', 'ls'],
  ['bash', ex('/usr/bin/bash'), 'other', 'bash'],
  ['a.out outside the workspace', ex('/tmp/a.out'), 'other', 'a.out'],
];

describe('Classifier', () => {
  const c = new Classifier();
  it.each(TABLE)('%s', (_d, exec, kind, name) => {
    expect(c.identify(exec, inWorkspace)).toEqual({ kind, name });
    expect(c.classify(exec, inWorkspace)).toBe(kind);
  });

  it('a failed exec (no exe name) classifies by path', () => {
    expect(c.classify({ filename: './a.out', cwd: `${WS}/hw1`, argv: ['./a.out'] }, inWorkspace)).toBe('run');
  });

  it('is configurable', () => {
    const rust = new Classifier({ compilers: [/^(?<tool>rustc)$/], interpreters: [/^(?<tool>node)$/] });
    expect(rust.identify(ex('/usr/bin/rustc'), inWorkspace)).toEqual({ kind: 'compile', name: 'rustc' });
    expect(rust.classify(ex('/usr/bin/gcc'), inWorkspace)).toBe('other');
    expect(rust.classify(ex('/usr/bin/node'), inWorkspace)).toBe('interpret');
    expect(rust.classify(ex('/usr/bin/make'), inWorkspace)).toBe('build');
  });
});

describe('envTarget', () => {
  it.each([
    [['/usr/bin/env', 'python3', 's.py'], 'python3'],
    [['env', '-i', 'A=1', 'B=2', 'python3'], 'python3'],
    [['env', '-u', 'HOME', 'bash', 'x'], 'bash'],
    [['env', '-S python3 -u', 's.py'], 'python3'],
    [['env'], undefined],
  ])('%j → %s', (argv, target) => {
    expect(envTarget(argv)).toBe(target);
  });
});

describe('parseCompileArgs', () => {
  it.each([
    [['gcc', '-o', 'hw1', 'main.c'], { sources: ['main.c'], output: 'hw1', links: true }],
    [['gcc', '-ohw1', 'main.c', 'util.c', '-lm'], { sources: ['main.c', 'util.c'], output: 'hw1', links: true }],
    [['gcc', 'main.c'], { sources: ['main.c'], output: 'a.out', links: true }],
    [['gcc', '-c', 'main.c'], { sources: ['main.c'], links: false }],
    [['gcc', '-c', 'main.c', '-o', 'main.o'], { sources: ['main.c'], output: 'main.o', links: false }],
    [['g++', '-I', 'include', '-x', 'c++', 'a.cpp', 'b.o', '-o', 'bin/app'], { sources: ['a.cpp'], output: 'bin/app', links: true }],
    [['gcc', '-S', 'x.c'], { sources: ['x.c'], links: false }],
    [['clang', '--output=out', 'x.c'], { sources: ['x.c'], output: 'out', links: true }],
    [['gcc', '--version'], { sources: [], links: false }],
    [['gcc', 'main.o', 'util.o', '-o', 'prog'], { sources: [], output: 'prog', links: true }],
  ])('%j', (argv, expected) => {
    const r = parseCompileArgs(argv);
    expect({ sources: r.sources, ...(r.output !== undefined ? { output: r.output } : {}), links: r.links }).toEqual(expected);
  });
});
