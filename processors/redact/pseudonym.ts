// Keyed pseudonyms for student IDs: HMAC-SHA256 with a site secret, so the same key gives the same pseudonym on
// every node (saves and runs of one student still join) while nobody without the key can go back from a pseudonym
// to an ID: student IDs are short and guessable (a 9-digit number), which rules out a plain hash.
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfigError } from '../../config/load.ts';

/** `s_` + the first 16 hex digits (64 bits) of HMAC-SHA256(key, UTF-8 student ID). */
export const PSEUDONYM_PREFIX = 's_';
export const PSEUDONYM_HEX_DIGITS = 16;
/** Shorter keys make the pseudonyms of a known ID list cheap to brute-force. */
export const MIN_KEY_BYTES = 16;

export function pseudonym(key: Buffer, studentId: string): string {
  return PSEUDONYM_PREFIX + createHmac('sha256', key).update(studentId, 'utf8').digest('hex').slice(0, PSEUDONYM_HEX_DIGITS);
}

export interface KeySource {
  /** Name of the environment variable holding the key. */
  keyEnv: string;
  /** File holding the key (a Kubernetes Secret mounted as a volume); wins over the variable when set. */
  keyFile: string | null;
}

/**
 * The key's bytes: the file's content or the variable's value, with trailing line breaks removed (a Secret made
 * with `kubectl create secret --from-file` of a file ending in a newline gives the same key as `--from-literal`).
 * A missing, unreadable or short key is a ConfigError: the agent must not start and send real IDs instead.
 */
export function loadPseudonymKey(src: KeySource, env: NodeJS.ProcessEnv = process.env): Buffer {
  let text: string;
  let where: string;
  if (src.keyFile) {
    where = `privacy.key_file ${src.keyFile}`;
    try {
      text = readFileSync(src.keyFile, 'utf8');
    } catch (err) {
      throw new ConfigError(`config: privacy.pseudonymize is on but the key cannot be read from ${where}: ${(err as Error).message}`);
    }
  } else {
    where = `$${src.keyEnv}`;
    const v = env[src.keyEnv];
    if (v === undefined || v === '') {
      throw new ConfigError(`config: privacy.pseudonymize is on but no key is set: put the pseudonym key in $${src.keyEnv} or a file named by privacy.key_file (the same key on every node)`);
    }
    text = v;
  }
  const key = Buffer.from(text.replace(/[\r\n]+$/, ''), 'utf8');
  if (key.length < MIN_KEY_BYTES) {
    throw new ConfigError(`config: the pseudonym key in ${where} is ${key.length} bytes; use at least ${MIN_KEY_BYTES} random bytes (e.g. \`openssl rand -hex 32\`)`);
  }
  return key;
}
