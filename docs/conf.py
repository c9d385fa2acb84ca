# Sphinx configuration of learnlib's documentation site. `learnlib docs` stages the executed notebooks and the API
# pages into a source folder and runs `sphinx-build -c docs SOURCE _docs`; this file is read from here, not from there.
# The notebooks are rendered by myst-nb as they were executed (never re-run here), in the sphinx-book-theme.
import configparser, importlib, inspect, os, re, sys
from pathlib import Path

from docutils import nodes

root = Path(os.environ.get('LEARNLIB_ROOT', Path(__file__).resolve().parent.parent))
cfg = configparser.ConfigParser(delimiters=['='])
cfg.read(root/'settings.ini', encoding='utf-8')
settings = cfg['DEFAULT']
sys.path.insert(0, str(root))

project = settings['title']
author = settings['author']
copyright = settings['copyright']
release = settings['version']
git_url, branch = settings['git_url'].rstrip('/'), settings['branch']

extensions = ['myst_nb', 'sphinx.ext.autodoc', 'sphinx.ext.linkcode']
exclude_patterns = ['_build', '**.ipynb_checkpoints']
nb_execution_mode = 'off'          # the notebooks arrive executed: the site never trains anything
nb_merge_streams = True            # a training table printed line by line reads as one block, as in Jupyter
myst_enable_extensions = ['dollarmath']
myst_heading_anchors = 3           # `[text](#a-heading)` links resolve to headings, as on GitHub
suppress_warnings = ['mystnb.unknown_mime_type', 'myst.header']

autodoc_default_options = {'members': True, 'undoc-members': True, 'show-inheritance': True,
                           'member-order': 'bysource'}
autodoc_typehints = 'signature'
autodoc_preserve_defaults = True   # `lr=defaults.lr`, as written, not the value it had when the docs were built
add_module_names = False

html_theme = 'sphinx_book_theme'
html_title = project
html_static_path = []
html_favicon = 'favicon.svg'       # else the browser asks for /favicon.ico, and logs its 404 as an error
html_context = {'default_mode': 'light'}   # an empty mode makes the theme log an error in the console
html_theme_options = {
    'repository_url': git_url, 'repository_branch': branch, 'path_to_docs': settings.get('nbs_path', 'nbs'),
    'use_repository_button': True, 'use_source_button': False, 'use_download_button': False,
    'show_toc_level': 2, 'navigation_with_keys': False,
}
html_last_updated_fmt = None
html_copy_source = False           # the .ipynb sources are on the repository; no second copy in the site
html_show_sourcelink = False


def linkcode_resolve(domain, info):
    "The line on the repository where an API entry's object is defined (`[source]` beside every entry)."
    if domain != 'py' or not info.get('module'): return None
    try:
        obj = importlib.import_module(info['module'])
        for part in info['fullname'].split('.'): obj = getattr(obj, part)
        obj = inspect.unwrap(getattr(obj, 'fget', obj))
        lines, start = inspect.getsourcelines(obj)
        path = Path(inspect.getsourcefile(obj)).resolve().relative_to(root)
    except Exception: return None   # a constant or an object whose source Python can't find: no link
    return f'{git_url}/blob/{branch}/{path.as_posix()}#L{start}-L{start + len(lines) - 1}'


def _api_targets(env) -> dict:
    "Short name -> (page, anchor, full name) for the names a reader writes in prose: `fine_tune`, `Learner`."
    objects = env.get_domain('py').objects
    by_short: dict = {}
    for full, entry in objects.items():
        if entry.objtype == 'module' or getattr(entry, 'aliased', False): continue
        module = next((m for m in sorted(env.domaindata['py']['modules'], key=len, reverse=True)
                       if full.startswith(m + '.')), None)
        if module is None: continue
        qual = full[len(module) + 1:]
        by_short.setdefault(qual.split('.')[-1], []).append((qual.count('.'), entry.docname, entry.node_id, full))
    targets = {}
    for short, found in by_short.items():
        top = min(depth for depth, *_ in found)
        best = [f for f in found if f[0] == top]   # a function over a method of the same name
        if len(best) == 1: targets[short] = tuple(best[0][1:])
    return targets


# a dotted name links when it starts with one of these (`learn.fine_tune()`), or with a name of the API (`Learner.fit`);
# not when it is another library's (`torch.export`, `np.array`)
RECEIVERS = {'learnlib', 'learn', 'dls', 'dl', 'dsets', 'interp', 'recorder', 'self'}


def link_names(app, doctree, docname):
    """Inline code in a notebook page that names a public object (`fine_tune`, `learn.fine_tune()`) links to its
    entry in the API reference, and inline code that names a page (`chapters/01_intro`) links to that page."""
    if docname.startswith('api/'): return
    targets = getattr(app, '_learnlib_targets', None)
    if targets is None: targets = app._learnlib_targets = _api_targets(app.env)
    for literal in list(doctree.findall(nodes.literal)):
        if isinstance(literal.parent, nodes.reference): continue
        text = literal.astext().strip()
        if text in app.env.found_docs and text != docname:
            uri, title = app.builder.get_relative_uri(docname, text), text
        else:
            parts = text.removesuffix('()').split('.')
            if not all(p.isidentifier() for p in parts) or parts[-1] not in targets: continue
            if len(parts) > 1 and parts[0] not in RECEIVERS and parts[0] not in targets: continue
            page, anchor, title = targets[parts[-1]]
            uri = app.builder.get_relative_uri(docname, page) + '#' + anchor
        ref = nodes.reference('', '', internal=True, refuri=uri, reftitle=title)
        literal.replace_self(ref)
        ref += literal


def markdown_code(app, what, name, obj, options, lines):
    "The docstrings write code as Markdown does, `x`; reStructuredText reads that as a citation: make it ``x``."
    for i, line in enumerate(lines):
        line = re.sub(r'(?<![`\w])`([^`\n]+)`(?![`\w])', r'``\1``', line)
        lines[i] = re.sub(r'(?<![`\w])`([^`\n]+)`(?=\w)', r'``\1``\\ ', line)   # `expand`ed -> ``expand``\ ed


def setup(app):
    app.connect('autodoc-process-docstring', markdown_code)
    app.connect('doctree-resolved', link_names)
