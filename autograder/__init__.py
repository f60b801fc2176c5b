"""Instructor tools: generate the learner chapters with nbgrader and grade submissions."""
import sys

# nbformat validates notebooks with jsonschema, which compiles a grammar for IRI strings at
# import when the optional `rfc3987-syntax` package is installed (a dependency of JupyterLab's
# event schemas). That takes about 1.8 s in every grading process, for a string format no
# notebook field uses; without it jsonschema simply skips that one format check.
sys.modules.setdefault("rfc3987_syntax", None)
