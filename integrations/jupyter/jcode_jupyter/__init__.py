"""jcode_jupyter: each notebook cell execution as an OpenTelemetry span sent to the JCode Watcher agent.

Load it with ``%load_ext jcode_jupyter`` or ``c.InteractiveShellApp.extensions = ['jcode_jupyter']`` in an
IPython kernel profile. It needs nothing beyond the standard library.
"""
import atexit
import os

from . import context
from .cells import CellTracker
from .exporter import SpanExporter

__version__ = "0.1.0"
__all__ = ["load_ipython_extension", "unload_ipython_extension", "stats"]

_state = {}


def load_ipython_extension(ip):
    if _state or context.disabled():
        return
    exporter = SpanExporter(
        context.traces_url(),
        resource=[
            {"key": "service.name", "value": {"stringValue": "jcode-jupyter"}},
            {"key": "service.version", "value": {"stringValue": __version__}},
        ],
        scope={"name": "jcode_jupyter", "version": __version__},
    )
    tracker = CellTracker(ip, exporter, session_id=os.urandom(8).hex())
    ip.events.register("pre_run_cell", tracker.pre_run_cell)
    ip.events.register("post_run_cell", tracker.post_run_cell)
    ip.register_magic_function(_status_magic, magic_kind="line", magic_name="jcode_jupyter")
    atexit.register(exporter.close)
    _state.update(ip=ip, exporter=exporter, tracker=tracker)


def unload_ipython_extension(ip):
    if not _state:
        return
    tracker, exporter = _state["tracker"], _state["exporter"]
    for name, fn in (("pre_run_cell", tracker.pre_run_cell), ("post_run_cell", tracker.post_run_cell)):
        try:
            ip.events.unregister(name, fn)
        except ValueError:
            pass
    exporter.close()
    atexit.unregister(exporter.close)
    _state.clear()


def stats():
    """Endpoint and counters of the running exporter (None when not loaded)."""
    e = _state.get("exporter")
    if e is None:
        return None
    return {"endpoint": e.url, "sent": e.sent, "dropped": e.dropped, "failed": e.failed, "last_error": e.last_error}


def _status_magic(line=""):
    s = stats()
    print("jcode_jupyter: not loaded" if s is None else
          "jcode_jupyter: endpoint %(endpoint)s, sent %(sent)d, dropped %(dropped)d, failed %(failed)d, last error %(last_error)s" % s)
