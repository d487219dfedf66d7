// Worker thread for reads that must not run on the event loop: files on network file systems (a call can block
// for as long as the server takes) and files over the size limit (hashed in full). Plain JS, see read-core.mjs.
import { parentPort } from 'node:worker_threads';
import { readFileSafelySync } from './read-core.mjs';

parentPort.on('message', ({ id, abs, rootReal, maxBytes }) => {
  const content = readFileSafelySync(abs, rootReal, maxBytes);
  if (content.kind === 'text') {
    // The buffer is this read's own (allocUnsafeSlow): transfer it instead of copying. `text` is rebuilt on
    // the other side, which is cheaper than cloning the string.
    const { text: _text, bytes, ...rest } = content;
    parentPort.postMessage({ id, content: rest, bytes: bytes.buffer, offset: bytes.byteOffset, length: bytes.byteLength }, [bytes.buffer]);
    return;
  }
  parentPort.postMessage({ id, content });
});
