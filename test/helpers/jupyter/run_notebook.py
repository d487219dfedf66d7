"""Builds a notebook from a JSON cell list and executes it in a real IPython kernel (nbclient, as
`jupyter nbconvert --execute` does), then writes the .ipynb. Used by the tests to make real notebooks.

usage: run_notebook.py SPEC.json OUT.ipynb [--no-execute]
SPEC: {"cells": [{"type": "code" | "markdown", "source": "...", "tags": ["skip-execution"]}]}
Cells tagged skip-execution are left unexecuted (nbclient's default skip tag). Errors do not stop the run.
"""
import json
import sys

import nbformat
from nbclient import NotebookClient


def main():
    spec_path, out_path = sys.argv[1], sys.argv[2]
    execute = "--no-execute" not in sys.argv[3:]
    with open(spec_path) as f:
        spec = json.load(f)
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    for c in spec["cells"]:
        make = nbformat.v4.new_code_cell if c["type"] == "code" else nbformat.v4.new_markdown_cell
        cell = make(c["source"])
        if c.get("tags"):
            cell.metadata["tags"] = c["tags"]
        nb.cells.append(cell)
    if execute:
        NotebookClient(nb, kernel_name="python3", allow_errors=True, timeout=120).execute()
    nbformat.validate(nb)
    with open(out_path, "w") as f:
        nbformat.write(nb, f)


if __name__ == "__main__":
    main()
