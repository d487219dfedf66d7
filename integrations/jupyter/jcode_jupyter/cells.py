"""One OTLP span per cell execution, from IPython's pre_run_cell / post_run_cell events."""
import hashlib
import os
import socket
import time

SPAN_NAME = "jcode.jupyter.cell"
MAX_MESSAGE = 1024
STATUS_OK = 1
STATUS_ERROR = 2
KIND_INTERNAL = 1

from . import context


def _value(v):
    if isinstance(v, bool):
        return {"boolValue": v}
    if isinstance(v, int):
        return {"intValue": str(v)}
    if isinstance(v, float):
        return {"doubleValue": v}
    return {"stringValue": str(v)}


def attributes(d):
    return [{"key": k, "value": _value(v)} for k, v in d.items() if v is not None]


def error_type(exc):
    """Class name for builtins (ZeroDivisionError), module-qualified otherwise (numpy.linalg.LinAlgError)."""
    cls = type(exc)
    mod = getattr(cls, "__module__", "") or ""
    name = getattr(cls, "__qualname__", cls.__name__)
    return name if mod in ("builtins", "__main__", "") else mod + "." + name


def _bounded(s, n=MAX_MESSAGE):
    return s if len(s) <= n else s[: n - 1] + "\u2026"


class CellTracker:
    """Keeps the start of the running cell and turns its result into a span handed to the exporter."""

    def __init__(self, shell, exporter, session_id, env=os.environ):
        self._shell = shell
        self._exporter = exporter
        self._session_id = session_id
        self._env = env
        self._hostname = socket.gethostname()
        self._start_ns = None
        self._info = None

    def pre_run_cell(self, info=None):
        self._start_ns = time.time_ns()
        self._info = info

    def post_run_cell(self, result):
        try:
            self._export(result)
        except Exception as e:  # a bug here must not show up in the student's notebook
            self._exporter.failed += 1
            self._exporter.last_error = repr(e)
        finally:
            self._start_ns = None
            self._info = None

    def _export(self, result):
        end_ns = time.time_ns()
        start_ns = self._start_ns if self._start_ns is not None else end_ns
        info = getattr(result, "info", None) or self._info
        code = getattr(info, "raw_cell", None) or ""
        if not isinstance(code, str):
            code = str(code)
        raw = code.encode("utf-8", "surrogatepass")
        exc = getattr(result, "error_before_exec", None) or getattr(result, "error_in_exec", None)
        cwd = os.getcwd()
        notebook = context.notebook_path(self._shell.user_ns, self._env)
        attrs = {
            "jcode.jupyter.execution_count": getattr(result, "execution_count", None),
            "jcode.jupyter.cell.id": getattr(info, "cell_id", None),
            "jcode.jupyter.cell.sha256": hashlib.sha256(raw).hexdigest(),
            "jcode.jupyter.cell.size": len(raw),
            "jcode.jupyter.cell.lines": code.count("\n") + (1 if code and not code.endswith("\n") else 0),
            "jcode.jupyter.session.id": self._session_id,
            "jcode.jupyter.notebook_path": notebook,
            "jcode.process.hostname": self._hostname,
            "process.pid": os.getpid(),
            "process.working_directory": cwd,
        }
        attrs.update(context.student_attributes(notebook, cwd, self._env))
        span = {
            "traceId": os.urandom(16).hex(),
            "spanId": os.urandom(8).hex(),
            "name": SPAN_NAME,
            "kind": KIND_INTERNAL,
            "startTimeUnixNano": str(start_ns),
            "endTimeUnixNano": str(max(end_ns, start_ns)),
            "status": {"code": STATUS_OK},
        }
        if exc is not None:
            etype = error_type(exc)
            message = _bounded(str(exc))
            attrs["error.type"] = etype
            span["status"] = {"code": STATUS_ERROR, "message": _bounded(etype + (": " + message if message else ""))}
            span["events"] = [{
                "timeUnixNano": str(end_ns),
                "name": "exception",
                "attributes": attributes({"exception.type": etype, "exception.message": message}),
            }]
        span["attributes"] = attributes(attrs)
        self._exporter.submit(span)
