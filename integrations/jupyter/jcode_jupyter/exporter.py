"""OTLP/HTTP JSON span export from a background thread, standard library only.

The student's kernel must never wait for or fail because of telemetry: spans go into a bounded queue
(when it is full the span is dropped and counted), one daemon thread sends them in batches with a short
timeout and a few retries, and every failure is swallowed and counted.
"""
import json
import queue
import threading
import time
import urllib.error
import urllib.request

__all__ = ["SpanExporter"]


class SpanExporter:
    def __init__(self, url, resource, scope, max_queue=1024, max_batch=128, timeout_s=2.0, retries=3):
        self.url = url
        self._resource = resource
        self._scope = scope
        self._queue = queue.Queue(max_queue)
        self._max_batch = max_batch
        self._timeout_s = timeout_s
        self._retries = retries
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._thread = None
        # Counters read by %jcode_jupyter (ints: updated under the GIL from one thread each, read anywhere).
        self.sent = 0
        self.dropped = 0
        self.failed = 0
        self.last_error = None

    def submit(self, span):
        """Queue one span (an OTLP JSON span object). Never blocks, never raises."""
        try:
            self._ensure_thread()
            self._queue.put_nowait(span)
        except queue.Full:
            self.dropped += 1
        except Exception as e:  # e.g. a thread cannot be started at interpreter shutdown
            self.dropped += 1
            self.last_error = repr(e)

    def close(self, timeout_s=2.0):
        """Send what is queued (waiting at most timeout_s), then stop the thread."""
        self._stopping.set()
        t = self._thread
        if t is not None:
            t.join(timeout_s)

    def _ensure_thread(self):
        if self._thread is not None and self._thread.is_alive():
            return
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._stopping.clear()
                self._thread = threading.Thread(target=self._run, name="jcode-jupyter-exporter", daemon=True)
                self._thread.start()

    def _run(self):
        while True:
            try:
                first = self._queue.get(timeout=0.25)
            except queue.Empty:
                if self._stopping.is_set():
                    return
                continue
            batch = [first]
            while len(batch) < self._max_batch:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            try:
                self._send(batch)
            except Exception as e:  # never let the thread die
                self.failed += len(batch)
                self.last_error = repr(e)

    def _send(self, spans):
        body = json.dumps({
            "resourceSpans": [{
                "resource": {"attributes": self._resource},
                "scopeSpans": [{"scope": self._scope, "spans": spans}],
            }]
        }, separators=(",", ":")).encode("utf-8")
        delay = 0.2
        for attempt in range(self._retries):
            try:
                req = urllib.request.Request(self.url, data=body, method="POST", headers={"Content-Type": "application/json"})
                with urllib.request.urlopen(req, timeout=self._timeout_s) as resp:
                    resp.read()
                self.sent += len(spans)
                return
            except urllib.error.HTTPError as e:
                self.last_error = "HTTP %d from %s" % (e.code, self.url)
                # A client error will not get better by retrying (the agent rejected the request).
                if 400 <= e.code < 500 and e.code != 429:
                    break
            except Exception as e:
                self.last_error = repr(e)
            if self._stopping.is_set() or attempt == self._retries - 1:
                break
            time.sleep(delay)
            delay *= 2
        self.failed += len(spans)
