"""Check the book's notebooks, README and modules where Quarto is not needed (CI runs it after `nbdev_proc_nbs`).

The checks, by name:
- docstrings: every public function and class of `aim_nb` has a docstring;
- show_docs: every one of them has a rendered `show_doc` on its chapter's processed page in `_proc/`;
- pictures: every notebook of the book stores at least one picture;
- stderr: no notebook stores a stderr stream;
- paths: no stored output text and no markdown cell holds a local path (/work/, /tmp/, .venv, site-packages, ...);
- images: no stored image is over 100 KB, and no image is stored twice in the book;
- readme_links: every relative link in README.md names an existing file;
- nb_links: every relative link to a notebook in a notebook's markdown names an existing notebook;
- import_order: a module imports only modules of earlier chapters (in the order of nbs/sidebar.yml), and every
  notebook is in the sidebar;
- line_length: no line of an exported module is over 120 characters;
- semicolons: no exported module joins statements with `;`;
- generic: the generic modules (`GENERIC`: learner, evaluate, cli, commands, bench, ...) import no specific
  model, target, teacher, order or keep-set class (a subclass of the parts' bases) and name no recipe (but
  as a console script's default, which `--help` shows).

A module's length is not checked: a module is the size of its concept (the house style).

    python tools/check_docs.py                                    # all of them
    python tools/check_docs.py --only stderr,paths,import_order   # some; these do not need _proc/

Checks that need `_proc/` are skipped, with a note, when it is absent. Exits non-zero, one line per problem.
"""
import argparse, ast, base64, functools, importlib, inspect, io, json, re, sys, tokenize
from pathlib import Path
import yaml

root = Path(__file__).resolve().parents[1]
nbs_dir = root / 'nbs'
LOCAL_PATH = re.compile(r'\S*(?:/work/|/tmp/|/home/|/root/|\.venv|site-packages|/usr/lib/python)\S*')
LINK = re.compile(r'\[[^\]]*\]\(\s*<?([^)\s>]+)')  # the target of a markdown [text](target), images too
MAX_IMAGE_BYTES = 100_000  # 100 KB as 1000-byte kilobytes

def notebooks() -> list:
    "Every notebook of the book, in path order (nbs/**/*.ipynb, without checkpoints and processed pages)."
    skip = {'.ipynb_checkpoints', '_proc'}
    return sorted(p for p in nbs_dir.rglob('*.ipynb') if not skip & set(p.relative_to(nbs_dir).parts))

def _rel(p:Path) -> str: return p.relative_to(root).as_posix()
@functools.cache
def _cells(nb_path:Path) -> list: return json.loads(nb_path.read_text())['cells']
def _src(cell:dict) -> str: return ''.join(cell['source'])
def _text(v) -> str: return ''.join(v) if isinstance(v, list) else v
def _where(nb:Path, i:int, cell:dict) -> str: return f"{_rel(nb)} cell {i} (id {cell.get('id', '?')})"

def _outputs(nb:Path):
    "(where, output) for every stored output of the notebook."
    for i, c in enumerate(_cells(nb)):
        for o in c.get('outputs', []): yield _where(nb, i, c), o

def _module_of(nb_path:Path):
    "The module a notebook exports to (its `#| default_exp`), or None."
    for cell in _cells(nb_path):
        for line in _src(cell).splitlines():
            if line.startswith('#| default_exp'): return line.split()[-1]

def _modules() -> dict:
    "Module name -> the notebook that exports it."
    return {m: nb for nb in notebooks() if (m := _module_of(nb))}

def _public(mod_name:str) -> list:
    "(name, object) of the public functions and classes of `aim_nb.mod_name`."
    mod = importlib.import_module(f'aim_nb.{mod_name}')
    return [(n, o) for n in mod.__all__ if inspect.isfunction(o := getattr(mod, n)) or inspect.isclass(o)]

def check_docstrings() -> list:
    return [f"aim_nb.{m}.{n}: no docstring" for m in _modules() for n, o in _public(m) if not inspect.getdoc(o)]

def _rendered_show_docs(proc_nb:Path) -> set:
    "Names whose `show_doc` cell on the processed page has output."
    return {_src(c).split('show_doc(')[1].split(')')[0] for c in _cells(proc_nb)
            if 'show_doc(' in _src(c) and c.get('outputs')}

def check_show_docs() -> list:
    out = []
    for m, nb in _modules().items():
        proc = root / '_proc' / nb.relative_to(nbs_dir)
        if not proc.exists(): out.append(f"{_rel(nb)}: no processed page {_rel(proc)} (run nbdev_proc_nbs)"); continue
        shown = _rendered_show_docs(proc)
        out += [f"{_rel(nb)}: no rendered show_doc for {n}" for n, _ in _public(m) if n not in shown]
    return out

def _has_picture(nb_path:Path) -> bool:
    return any(k.startswith('image/') for _, o in _outputs(nb_path) for k in o.get('data', {}))

def check_pictures() -> list: return [f"{_rel(nb)}: no stored picture" for nb in notebooks() if not _has_picture(nb)]

def check_stderr() -> list:
    return [f"{w}: stored stderr output {_text(o['text'])[:80]!r}" for nb in notebooks() for w, o in _outputs(nb)
            if o.get('output_type') == 'stream' and o.get('name') == 'stderr']

def _texts(nb:Path):
    "(where, kind, text) for every markdown cell and every stored output text of the notebook."
    for i, c in enumerate(_cells(nb)):
        if c['cell_type'] == 'markdown': yield _where(nb, i, c), 'markdown', _src(c)
        for o in c.get('outputs', []):
            if o.get('output_type') == 'stream': yield _where(nb, i, c), o['name'], _text(o['text'])
            for k in ('text/plain', 'text/markdown', 'text/html'):
                if k in o.get('data', {}): yield _where(nb, i, c), k, _text(o['data'][k])

def check_paths() -> list:
    return [f"{w}: local path {m.group()[:80]!r} in {kind}" for nb in notebooks() for w, kind, t in _texts(nb)
            if (m := LOCAL_PATH.search(t))]

def _images(nb:Path):
    "(where, decoded bytes) for every stored PNG and JPEG of the notebook."
    for w, o in _outputs(nb):
        for k in ('image/png', 'image/jpeg'):
            if k in o.get('data', {}): yield w, base64.b64decode(_text(o['data'][k]))

def check_images() -> list:
    out, seen = [], {}
    for nb in notebooks():
        for w, img in _images(nb):
            if len(img) > MAX_IMAGE_BYTES: out.append(f"{w}: stored image of {len(img) / 1000:.1f} KB, over 100 KB")
            seen.setdefault(img, []).append(w)
    return out + [f"the same image stored {len(ws)} times: {', '.join(ws)}" for ws in seen.values() if len(ws) > 1]

def _relative_links(md:str) -> list:
    "The relative link targets of markdown text, without their #anchors (no URLs, anchors or absolute paths)."
    targets = [t.split('#')[0] for t in LINK.findall(md) if not re.match(r'[a-z][a-z0-9+.-]*:|[#/]', t)]
    return [t for t in targets if t]

def check_readme_links() -> list:
    return [f"README.md: link to {t}, no such file" for t in _relative_links((root / 'README.md').read_text())
            if not (root / t).exists()]

def check_nb_links() -> list:
    return [f"{w}: link to {t}, no such notebook" for nb in notebooks() for w, kind, md in _texts(nb) if kind == 'markdown'
            for t in _relative_links(md) if t.endswith('.ipynb') and not (nb.parent / t).exists()]

def _sidebar() -> list:
    "The notebooks nbs/sidebar.yml lists, in its order."
    def walk(v):
        if isinstance(v, dict): return [p for x in v.values() for p in walk(x)]
        if isinstance(v, list): return [p for x in v for p in walk(x)]
        return [nbs_dir / v] if isinstance(v, str) and v.endswith('.ipynb') else []
    return walk(yaml.safe_load((nbs_dir / 'sidebar.yml').read_text()))

def _reading_order(listed:list) -> list:
    "The notebooks in the sidebar's order; one missing from it goes right after the notebook before it in path order."
    nbs = notebooks()
    order = [nb for nb in listed if nb in nbs]
    for i, nb in enumerate(nbs):
        if nb not in order: order.insert(order.index(nbs[i - 1]) + 1 if i else 0, nb)
    return order

def _imported_modules(py:Path) -> set:
    "The aim_nb modules a module imports: `from .Y import`, `from aim_nb.Y import`, `import aim_nb.Y`."
    found = set()
    for node in ast.walk(ast.parse(py.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and (node.level == 1 or node.module.startswith('aim_nb.')):
            found.add(node.module.removeprefix('aim_nb.').split('.')[0])
        elif isinstance(node, ast.Import):
            found |= {a.name.split('.')[1] for a in node.names if a.name.startswith('aim_nb.')}
    return found

def check_import_order() -> list:
    listed = _sidebar()
    out = [f"{_rel(nb)}: missing from nbs/sidebar.yml (ranked by its path)" for nb in notebooks() if nb not in listed]
    rank = {nb: i for i, nb in enumerate(_reading_order(listed))}
    mods = {m: nb for m, nb in _modules().items() if m not in ('__init__', '_modidx')}
    for m, nb in mods.items():
        later = [y for y in sorted(_imported_modules(root / 'aim_nb' / f'{m}.py')) if y in mods and rank[mods[y]] > rank[nb]]
        out += [f"aim_nb/{m}.py ({_rel(nb)}) imports aim_nb.{y} from a later chapter ({_rel(mods[y])})" for y in later]
    return out

MAX_LINE = 120
GENERIC = ('learner', 'checkpoint', 'training', 'scale', 'evaluate', 'bench', 'cli', 'eval_cli', 'commands')
PART_BASES = (('models', 'PretrainModel'), ('targets', 'Target'), ('teachers', 'Teacher'), ('orders', 'Order'),
              ('masks', 'Keep'))

def _exported() -> list:
    "The exported modules' files, without nbdev's index."
    return sorted(p for p in (root / 'aim_nb').glob('*.py') if p.name != '_modidx.py')

def _generated_lines(src:str) -> set:
    "Line numbers of nbdev's `__all__` statement (nbdev wraps its names at 120 before prefixing `__all__ = `)."
    nodes = [n for n in ast.parse(src).body if isinstance(n, ast.Assign) and ast.unparse(n.targets[0]) == '__all__']
    return {i for n in nodes for i in range(n.lineno, n.end_lineno + 1)}

def check_line_length() -> list:
    out = []
    for py in _exported():
        src = py.read_text()
        skip = _generated_lines(src)
        out += [f"{_rel(py)}:{i}: {len(x)} characters, over {MAX_LINE}" for i, x in enumerate(src.splitlines(), 1)
                if len(x) > MAX_LINE and i not in skip]
    return out

def check_semicolons() -> list:
    out = []
    for py in _exported():
        tokens = tokenize.generate_tokens(io.StringIO(py.read_text()).readline)
        out += [f"{_rel(py)}:{t.start[0]}: statements joined with ';'" for t in tokens
                if t.type == tokenize.OP and t.string == ';']
    return out

def _specific_parts() -> set:
    "Names of the classes that are one method's part: strict subclasses of the parts' bases."
    bases = tuple(getattr(importlib.import_module(f'aim_nb.{m}'), n) for m, n in PART_BASES)
    classes = [o for m in _modules() if m not in ('__init__', '_modidx') for _, o in _public(m) if inspect.isclass(o)]
    return {c.__name__ for c in classes if issubclass(c, bases) and c not in bases}

def _script_defaults(tree:ast.AST) -> set:
    "The constants that are a console script's parameter defaults (what `--help` shows), in `commands`."
    scripts = [f for f in ast.walk(tree) if isinstance(f, ast.FunctionDef)
               and any(ast.unparse(d) == 'console_script' for d in f.decorator_list)]
    return {id(d) for f in scripts for d in [*f.args.defaults, *f.args.kw_defaults] if d is not None}

def check_generic() -> list:
    recipes = set(importlib.import_module('aim_nb.recipes').RECIPES)
    specific, out = _specific_parts(), []
    for m in GENERIC:
        py = root / 'aim_nb' / f'{m}.py'
        if not py.exists(): continue
        tree = ast.parse(py.read_text())
        defaults = _script_defaults(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and (node.level or node.module.startswith('aim_nb')):
                out += [f"{_rel(py)}:{node.lineno}: imports {a.name}, one method's part" for a in node.names
                        if a.name in specific]
            if isinstance(node, ast.Constant) and node.value in recipes and id(node) not in defaults:
                out.append(f"{_rel(py)}:{node.lineno}: names the recipe {node.value!r}")
    return out

CHECKS = {'docstrings': check_docstrings, 'show_docs': check_show_docs, 'pictures': check_pictures,
          'stderr': check_stderr, 'paths': check_paths, 'images': check_images, 'readme_links': check_readme_links,
          'nb_links': check_nb_links, 'import_order': check_import_order, 'line_length': check_line_length,
          'semicolons': check_semicolons, 'generic': check_generic}
NEED_PROC = {'show_docs'}

def problems(names=tuple(CHECKS)) -> list:
    "The problems the checks `names` find; a check that needs `_proc/` is skipped, with a note, when it is absent."
    out = []
    for name in names:
        if name in NEED_PROC and not (root / '_proc').is_dir(): print(f"{name}: skipped, no _proc/ (run nbdev_proc_nbs)")
        else: out += CHECKS[name]()
    return out

def _names(arg:str) -> list:
    names = arg.split(',')
    if unknown := set(names) - set(CHECKS):
        raise argparse.ArgumentTypeError(f"no check {', '.join(sorted(unknown))}; the checks: {', '.join(CHECKS)}")
    return names

if __name__ == '__main__':
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--only', type=_names, default=list(CHECKS), metavar='NAME[,NAME]',
                        help=f"run only these: {', '.join(CHECKS)}")
    names = parser.parse_args().only
    found = problems(names)
    print('\n'.join(found) or f"docs OK: {', '.join(names)}")
    sys.exit(1 if found else 0)
