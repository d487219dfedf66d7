"""Where spans go and who the student is, from the environment the pod sets and the notebook's path."""
import os

DEFAULT_ENDPOINT = "http://127.0.0.1:9464"

# Environment variable → student attribute. A pod sets them from its labels (downward API) or its spec.
STUDENT_ENV = (
    ("JCODE_COURSE", "edu.course"),
    ("JCODE_SECTION", "edu.section"),
    ("JCODE_STUDENT_ID", "edu.student.id"),
    ("JCODE_ASSIGNMENT", "edu.assignment"),
)


def disabled(env=os.environ):
    return env.get("JCODE_JUPYTER_DISABLED", "") not in ("", "0", "false") or env.get("OTEL_SDK_DISABLED", "").lower() == "true"


def traces_url(env=os.environ):
    """JCODE_JUPYTER_ENDPOINT (agent base URL), else the standard OTLP/HTTP variables, else the local agent."""
    base = env.get("JCODE_JUPYTER_ENDPOINT")
    if base:
        return base.rstrip("/") + "/v1/traces"
    full = env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    if full:
        return full  # used as is, per the OTLP exporter specification
    base = env.get("OTEL_EXPORTER_OTLP_ENDPOINT") or DEFAULT_ENDPOINT
    return base.rstrip("/") + "/v1/traces"


def notebook_path(user_ns, env=os.environ):
    """The notebook this kernel runs, as the kernel sees it; None when the front end does not say.

    Jupyter Server passes it as JPY_SESSION_NAME (ipykernel copies it to __session__); VS Code and
    code-server's Jupyter extension set __vsc_ipynb_file__.
    """
    for p in (user_ns.get("__vsc_ipynb_file__"), user_ns.get("__session__"), env.get("JPY_SESSION_NAME")):
        if isinstance(p, str) and p.endswith(".ipynb"):
            return os.path.abspath(p)
    return None


def student_attributes(notebook, cwd, env=os.environ):
    """edu.* from the environment; the assignment may come from the notebook's place in JCODE_WORKSPACE.

    What is missing here the agent fills in from the pod host name or the path, with its own layout config.
    """
    attrs = {}
    for var, name in STUDENT_ENV:
        v = env.get(var)
        if v:
            attrs[name] = v
    workspace = env.get("JCODE_WORKSPACE")
    if workspace:
        rel = _relative(notebook or os.path.join(cwd, "_"), workspace)
        if rel is not None:
            parts = rel.split("/")
            if "edu.assignment" not in attrs and len(parts) > 1:
                attrs["edu.assignment"] = parts[0]
            if notebook:
                attrs["file.path"] = rel
    return attrs


def _relative(path, root):
    root = os.path.abspath(root)
    path = os.path.abspath(path)
    if path != root and path.startswith(root.rstrip("/") + "/"):
        return os.path.relpath(path, root).replace(os.sep, "/")
    return None
