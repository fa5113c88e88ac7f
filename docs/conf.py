# Sphinx configuration for the hmos documentation.
#
# Built by `make docs`: tools/doccheck first, then tools/compare.py,
# which writes docs/_gen/figures.rst (every figure a page quotes, as a
# substitution such as |kmap_local_highmem|) and the tables beside
# Linux, then a boot of the kernel whose serial log
# tools/layout_figure.py turns into docs/_gen/ (the layout and kmap
# pictures and tables), then
# sphinx-build -W -b html docs build/docs (warnings are errors).
# Only Sphinx's built-in features are used.

project = "hmos"
author = "the hmos developers"
copyright = "hmos developers"

extensions = []
source_suffix = ".rst"
root_doc = "index"
# Included by other pages, not pages of their own.
exclude_patterns = ["_gen/*.txt", "_gen/*.rst"]
highlight_language = "none"

html_theme = "alabaster"
html_theme_options = {"page_width": "1000px", "sidebar_width": "220px"}
html_static_path = []
