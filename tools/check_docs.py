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
- records: every record in benchmarks/records/ has the record's fields and names modules of the library; the
  records whose modules changed after they were measured are listed (a note, not a failure);
- record_cells: a visible cell that shows a record (`show_record`, `cite`) hides its code (`#| echo: false`) and
  stores the record as it is now (re-rendered and compared, but for what changed since); a call with `root=` reads
  a scratch repository (the records chapter's tests) and is not a record shown;
- skipped_outputs: no cell that nbdev_test and tools/run_nbs.py skip (`#| slow`, `#| cuda`, `#| eval: false`)
  stores an output: it would go stale unseen;
- progress_bars: no stored output is a progress bar (fastprogress HTML or its placeholder text);
- import_cells: no shown cell mixes imports with other code (nbdev_proc_nbs warns about each);
- nested_links: no processed page has a link inside a link's text (a backticked name nbdev links again);
- none_types: no processed page shows a `NoneType` annotation (an untyped `=None` parameter), but for the keywords of
  fastai's `Callback` and `Transform` signatures that a subclass without its own `__init__` shows;
- empty_sections: no processed page has a heading with nothing under it before the next heading;
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

# --- records and the cells that show them

RECORD_FIELDS = ('what', 'ran', 'numbers', 'table', 'modules', 'commit', 'versions', 'machine', 'date')
RECORD_CALL = re.compile(r"\b(?:show_record|cite)\(\s*['\"]([\w.-]+)['\"]")
SINCE = re.compile(r'; (?:changed since: [^.;)]*|its modules unchanged since)')

def _directives(src:str) -> set: return {l[3:].strip() for l in src.splitlines() if l.startswith('#| ')}

def check_records() -> list:
    from aim_nb.records import changed_since, record_names
    out = []
    for name in record_names(root):
        record = json.loads((root / 'benchmarks' / 'records' / f'{name}.json').read_text())
        if missing := [f for f in RECORD_FIELDS if f not in record]:
            out.append(f"benchmarks/records/{name}.json: not a record, no {', '.join(missing)}"); continue
        if unknown := [m for m in record['modules'] if not (root / 'aim_nb' / f'{m}.py').exists()]:
            out.append(f"benchmarks/records/{name}.json: no aim_nb module {', '.join(unknown)}"); continue
        if changed := changed_since(record, root):
            print(f"record {name}: changed since measured: {', '.join(changed)} (re-measure: {record['ran']})")
    return out

def _rendered_now(src:str, nb:Path):
    "What a cell that is one `show_record(...)` / `cite(...)` call renders now (None for any other cell)."
    from aim_nb import records
    body = [l for l in src.splitlines() if not l.startswith('#|')]
    try: tree = ast.parse('\n'.join(body), mode='eval')
    except SyntaxError: return None
    if not (isinstance(tree.body, ast.Call) and getattr(tree.body.func, 'id', None) in ('show_record', 'cite')): return None
    tree.body.keywords.append(ast.keyword('root', ast.Constant(str(nb.parent))))
    return str(eval(compile(ast.fix_missing_locations(tree), str(nb), 'eval'), vars(records)))

def check_record_cells() -> list:
    from aim_nb.records import load_record
    out = []
    for nb in notebooks():
        for i, c in enumerate(_cells(nb)):
            src, where = _src(c), _where(nb, i, c)
            names = RECORD_CALL.findall(src) if c['cell_type'] == 'code' else []
            if not names or 'hide' in _directives(src) or 'root=' in src: continue
            if 'echo: false' not in _directives(src): out.append(f"{where}: shows a record without `#| echo: false`")
            stored = ''.join(_text(o['data']['text/markdown']) for o in c.get('outputs', []) if 'text/markdown' in o.get('data', {}))
            if not stored: out.append(f"{where}: shows a record but stores no Markdown output (run tools/run_nbs.py)"); continue
            if missing := [n for n in names if not (root / 'benchmarks' / 'records' / f'{n}.json').exists()]:
                out.append(f"{where}: shows record {', '.join(missing)}, which does not exist"); continue
            now = _rendered_now(src, nb)
            if now is not None and SINCE.sub('', now).strip() != SINCE.sub('', stored).strip():
                out.append(f"{where}: the stored output is not the record as it is now (run tools/run_nbs.py on it)")
            for name in names if now is None else []:
                commit = (load_record(name, nb.parent).get('commit') or 'commit not recorded')[:7]
                if f'`{name}`' not in stored or commit not in stored:
                    out.append(f"{where}: the stored output is not record {name} at {commit} (run tools/run_nbs.py on it)")
    return out

def _skip_flags() -> set:
    import configparser
    cfg = configparser.ConfigParser()
    cfg.read(root / 'settings.ini')
    return set(cfg['DEFAULT'].get('tst_flags', '').split()) | {'eval: false'}

def check_skipped_outputs() -> list:
    flags = _skip_flags()
    return [f"{_where(nb, i, c)}: stores outputs, but is skipped ({', '.join(sorted(_directives(_src(c)) & flags))}): "
            "make its result a record shown by a live cell" for nb in notebooks() for i, c in enumerate(_cells(nb))
            if c['cell_type'] == 'code' and c.get('outputs') and _directives(_src(c)) & flags]

def check_progress_bars() -> list:
    return [f"{w}: a stored progress bar ({kind})" for nb in notebooks() for w, kind, t in _texts(nb) if kind != 'markdown'
            and ('<progress' in t or 'IPython.core.display.HTML object' in t or re.search(r'\d+\.\d+% \[\d+/\d+', t))]

def _mixes_imports(src:str) -> bool:
    "nbdev_proc_nbs's test: a shown cell with an import and an expression or an assignment."
    try: nodes = list(ast.walk(ast.parse('\n'.join(l for l in src.splitlines() if not l.lstrip().startswith(('%', '!'))))))
    except SyntaxError: return False
    return any(isinstance(n, (ast.Import, ast.ImportFrom)) for n in nodes) and any(isinstance(n, (ast.Expr, ast.Assign)) for n in nodes)

def check_import_cells() -> list:
    shown = lambda d: not d & {'export', 'exports', 'exporti', 'exec_doc', 'eval: false'}
    return [f"{_where(nb, i, c)}: imports and other code in one cell (nbdev_proc_nbs warns): imports in a cell of their own"
            for nb in notebooks() for i, c in enumerate(_cells(nb))
            if c['cell_type'] == 'code' and shown(_directives(_src(c))) and _mixes_imports(_src(c))]

# --- the processed pages (_proc/), as Quarto renders them

NESTED_LINK = re.compile(r'\[[^\]\n]*\[[^\]\n]*\]\([^)\s]*\)[^\]\n]*\]\(')
HEADING = re.compile(r'^(#{1,6}) \S')

def _proc_pages() -> list:
    return [root / '_proc' / nb.relative_to(nbs_dir) for nb in notebooks() if (root / '_proc' / nb.relative_to(nbs_dir)).exists()]

def _page_texts(page:Path):
    "(where, text) of the page's markdown cells and Markdown outputs (show_doc's signatures among them)."
    for i, c in enumerate(_cells(page)):
        if c['cell_type'] == 'markdown': yield _where(page, i, c), _src(c)
        for o in c.get('outputs', []):
            if 'text/markdown' in o.get('data', {}): yield _where(page, i, c), _text(o['data']['text/markdown'])

def check_nested_links() -> list:
    return [f"{w}: a link inside a link's text: {m.group()[:90]!r}" for page in _proc_pages()
            for w, t in _page_texts(page) for m in NESTED_LINK.finditer(t)]

FASTAI_NONE = {'enc', 'dec', 'split_idx', 'order'} | {f'{when}_{what}' for when in ('before', 'after') for what in
               ('create', 'fit', 'epoch', 'train', 'batch', 'loss', 'backward', 'step', 'validate', 'draw', 'pred')} \
    | {'after_cancel_fit', 'after_cancel_epoch', 'after_cancel_train', 'after_cancel_batch', 'after_cancel_validate',
       'after_cancel_backward', 'after_cancel_step', 'after_zero_grad', 'before_zero_grad'}

def check_none_types() -> list:
    "Untyped `=None` parameters of aim_nb's own signatures (fastai's Callback and Transform keywords are fastai's)."
    return [f"{w}: a `NoneType` annotation: {t[max(0, m.start() - 40):m.end() + 6]!r} (give the parameter its type)"
            for page in _proc_pages() for w, t in _page_texts(page) for m in re.finditer(r'(\w+):NoneType', t)
            if m.group(1) not in FASTAI_NONE]

def _page_items(page:Path):
    "('heading', level, where) or ('content', 0, where) for what a reader sees on the page, in order."
    for i, c in enumerate(_cells(page)):
        where, src = _where(page, i, c), _src(c)
        if c['cell_type'] == 'markdown':
            for line in src.splitlines():
                if m := HEADING.match(line): yield 'heading', len(m.group(1)), f"{where} {line.strip()!r}"
                elif line.strip() and not line.startswith('<!--'): yield 'content', 0, where
        elif c['cell_type'] == 'code' and 'include: false' not in _directives(src): yield 'content', 0, where

def check_empty_sections() -> list:
    out = []
    for page in _proc_pages():
        items = list(_page_items(page))
        for k, (kind, level, where) in enumerate(items):
            following = next((it for it in items[k + 1:] if it[0] == 'content' or it[1] <= level), None)
            if kind == 'heading' and (following is None or following[0] == 'heading'):
                out.append(f"{where}: an empty section (nothing under the heading)")
    return out

CHECKS = {'docstrings': check_docstrings, 'show_docs': check_show_docs, 'pictures': check_pictures,
          'stderr': check_stderr, 'paths': check_paths, 'images': check_images, 'readme_links': check_readme_links,
          'nb_links': check_nb_links, 'import_order': check_import_order, 'line_length': check_line_length,
          'semicolons': check_semicolons, 'generic': check_generic, 'records': check_records,
          'record_cells': check_record_cells, 'skipped_outputs': check_skipped_outputs,
          'progress_bars': check_progress_bars, 'import_cells': check_import_cells, 'nested_links': check_nested_links,
          'none_types': check_none_types, 'empty_sections': check_empty_sections}
NEED_PROC = {'show_docs', 'nested_links', 'none_types', 'empty_sections'}

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
