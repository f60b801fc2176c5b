"""A small Sphinx extension for the course's book (listed under ``sphinx: local_extensions``
in ``_config.yml``).

* Maths offline: ``tools/build_book.py`` copies MathJax (npm package ``mathjax``, pinned in
  ``package.json``) into ``_build/book-extra/_static/mathjax/``, which ``html_extra_path``
  copies into the book. When that copy is missing (no Node.js on this machine), the book
  falls back to MathJax's CDN and says so loudly: the pages then need the network for maths.
* Launch buttons: the theme's JupyterHub button opens the page's own source, which for a
  chapter is the generated ``book/chapters/<id>.ipynb`` (not in git). It is pointed at the
  learner notebook ``chapters/<id>/<id>.ipynb`` instead.
"""
from __future__ import annotations

import re
from pathlib import Path

from sphinx.util import logging

LOGGER = logging.getLogger(__name__)
EXTRA = Path("_build") / "book-extra"
MATHJAX_FILE = Path("_static") / "mathjax" / "tex-svg.js"
MATHJAX_CDN = "https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-svg.js"


def offline_mathjax(app, config) -> None:
    extra = Path(app.confdir) / EXTRA
    extra.mkdir(parents=True, exist_ok=True)  # html_extra_path must exist, even when empty
    if config.mathjax_path.startswith("mathjax/") and not (extra / MATHJAX_FILE).is_file():
        config.mathjax_path = MATHJAX_CDN
        LOGGER.info("\n*** MathJax is not installed (no Node.js/npm here, see book/setup.md): the book's maths "
                    f"loads from {MATHJAX_CDN} and renders only with a network connection. ***\n")


def learner_notebook_path(url: str) -> str:
    """Rewrite a launch URL that opens ``book/chapters/<id>.ipynb`` to the learner notebook."""
    return re.sub(r"book/chapters/([0-9]{2}_[a-z0-9_]+)\.ipynb", r"chapters/\1/\1.ipynb", url)


def point_launch_at_learner_notebook(app, pagename, templatename, context, doctree) -> None:
    def walk(buttons):
        for button in buttons or []:
            if isinstance(button, dict):
                if isinstance(button.get("url"), str):
                    button["url"] = learner_notebook_path(button["url"])
                walk(button.get("buttons"))
    walk(context.get("header_buttons"))


def drop_duplicate_inline_scripts(app, pagename, templatename, context, doctree) -> None:
    """sphinx-thebe 0.3.1 registers its inline configuration script once per build round
    (``env-before-read-docs``), so a rebuild puts it on the page twice and the browser reports
    "Identifier 'THEBE_JS_URL' has already been declared". Keep the first copy only."""
    seen, kept = set(), []
    for script in context.get("script_files", []):
        body = getattr(script, "attributes", {}).get("body") if hasattr(script, "attributes") else None
        if body:
            if body in seen:
                continue
            seen.add(body)
        kept.append(script)
    if "script_files" in context:
        context["script_files"][:] = kept


def setup(app):
    app.connect("config-inited", offline_mathjax)
    app.connect("html-page-context", drop_duplicate_inline_scripts, priority=900)
    # After the theme's own handler (priority 500) has added the launch buttons.
    app.connect("html-page-context", point_launch_at_learner_notebook, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
