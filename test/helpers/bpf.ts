// Gate for tests that need the real eBPF loader in the kernel: skipped on a developer machine without root,
// but with CI=true a missing part fails the test instead of skipping it.
import { accessSync, constants } from 'node:fs';
import { DEFAULT_LOADER } from '../../receiver/exec/receiver.ts';

export function bpfUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'not root';
  try {
    accessSync(DEFAULT_LOADER, constants.X_OK);
  } catch {
    return `loader ${DEFAULT_LOADER} not built (npm run build:bpf)`;
  }
  try {
    accessSync('/sys/kernel/btf/vmlinux', constants.R_OK);
  } catch {
    return 'no kernel BTF';
  }
  return undefined;
}

/** True when the tests should run; throws under CI when they cannot. */
export function requireBpf(): boolean {
  const why = bpfUnavailable();
  if (!why) return true;
  if (process.env.CI === 'true') throw new Error(`eBPF tests cannot run: ${why}`);
  return false;
}
