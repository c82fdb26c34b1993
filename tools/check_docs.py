"""Check the documentation pages that can be checked without Quarto (run after `nbdev_proc_nbs`).

- every public function and class of `aim_nb` has a docstring;
- every one of them has a rendered `show_doc` on its chapter's processed page in `_proc/`;
- every notebook of the book stores at least one picture.
Exits non-zero, naming what is missing.
"""
import importlib, inspect, json, sys
from pathlib import Path

root = Path(__file__).resolve().parents[1]

def _cells(nb_path:Path) -> list: return json.loads(nb_path.read_text())['cells']
def _src(cell:dict) -> str: return ''.join(cell['source'])

def _module_of(nb_path:Path):
    "The module a notebook exports to (its `#| default_exp`), or None."
    for cell in _cells(nb_path):
        for line in _src(cell).splitlines():
            if line.startswith('#| default_exp'): return line.split()[-1]

def _rendered_show_docs(proc_nb:Path) -> set:
    "Names whose `show_doc` cell on the processed page has output."
    return {_src(c).split('show_doc(')[1].split(')')[0] for c in _cells(proc_nb)
            if 'show_doc(' in _src(c) and c.get('outputs')}

def _has_picture(nb_path:Path) -> bool:
    return any(k.startswith('image/') for c in _cells(nb_path) for o in c.get('outputs', []) for k in o.get('data', {}))

def problems() -> list:
    out = []
    for nb in sorted((root / 'nbs').glob('*.ipynb')):
        if not _has_picture(nb): out.append(f"{nb.name}: no stored picture")
        mod_name = _module_of(nb)
        if not mod_name: continue
        mod = importlib.import_module(f'aim_nb.{mod_name}')
        public = [n for n in mod.__all__ if inspect.isfunction(getattr(mod, n)) or inspect.isclass(getattr(mod, n))]
        shown = _rendered_show_docs(root / '_proc' / nb.name)
        out += [f"aim_nb.{mod_name}.{n}: no docstring" for n in public if not inspect.getdoc(getattr(mod, n))]
        out += [f"{nb.name}: no rendered show_doc for {n}" for n in public if n not in shown]
    return out

if __name__ == '__main__':
    found = problems()
    print('\n'.join(found) or 'docs OK: every public symbol has a docstring and a rendered show_doc; every chapter has a picture')
    sys.exit(1 if found else 0)
