"""Execute notebooks in place and store their outputs: the pictures and tables are part of the docs.

Cells that `nbdev_test` skips by default (the `tst_flags` of settings.ini: `#| slow`, `#| cuda`) and
`#| eval: false` cells are not run, so this works on a CPU-only machine; they keep the outputs they had, and this
says which ones and the commit that stored them (the book keeps none: tools/check_docs.py fails on them, a result
that only a skipped cell can produce is a record that a live cell shows). Run `nbdev_clean` afterwards.

    python tools/run_nbs.py                      # every notebook under nbs/, subfolders too, in path order
    python tools/run_nbs.py nbs/30_orders.ipynb  # some of them
    RUN_FLAGS=slow python tools/run_nbs.py nbs/tutorials/10_compare.ipynb   # the slow cells too (a long run's cached rows)
"""
import configparser, json, os, subprocess, sys
from pathlib import Path
import nbformat
from nbclient import NotebookClient

root = Path(__file__).resolve().parents[1]

def notebooks() -> list:
    "Every notebook of the book, in path order (nbs/**/*.ipynb, without checkpoints and processed pages)."
    nbs = root / 'nbs'
    return sorted(p for p in nbs.rglob('*.ipynb') if not {'.ipynb_checkpoints', '_proc'} & set(p.relative_to(nbs).parts))

def _skip_flags() -> set:
    cfg = configparser.ConfigParser(); cfg.read(root / 'settings.ini')
    return set(cfg['DEFAULT'].get('tst_flags', '').split()) - set(os.environ.get('RUN_FLAGS', '').split())

def _is_skipped(cell, flags:set) -> bool:
    "A code cell with a `#| flag` directive among `flags`, or `#| eval: false`."
    directives = {l[3:].strip() for l in cell.source.splitlines() if l.startswith('#| ')}
    return cell.cell_type == 'code' and bool(directives & flags or 'eval: false' in directives)

def _is_progress(output) -> bool:
    "A display of fastprogress: a bar, its stylesheet, or the empty HTML a finished bar leaves (leave=False)."
    html = ''.join(output.get('data', {}).get('text/html', ''))
    bar = html.lstrip().startswith(('<div><progress', '<style>')) and 'progress' in html   # the bar, or its stylesheet
    return 'text/html' in output.get('data', {}) and (not html.strip() or bar)

def drop_progress_bars(nb):
    "Remove progress bars from the stored outputs: a page shows results, not how long they took to come."
    for c in nb.cells:
        if c.cell_type == 'code':
            c.outputs = [o for o in c.outputs if not _is_progress(o)]

def _stored_at(path:Path, output:dict) -> str:
    "The commit that stored `output` in the notebook at `path` (git's pickaxe on a line of its text), or 'uncommitted'."
    data = output.get('data', {})
    text = output.get('text') or next((data[k] for k in ('text/plain', 'text/markdown', 'image/png') if k in data), '')
    line = next((l for l in ''.join(text).splitlines() if len(l.strip()) > 8), '')
    found = subprocess.run(['git', 'log', '-1', '--format=%h %as', '-S', json.dumps(line)[1:-1], '--', path.name],
                           cwd=path.parent, capture_output=True, text=True).stdout.strip()
    return found or 'uncommitted'

def report_kept(path:Path, nb, skipped:list):
    "Say which skipped cells kept stored outputs, and from which commit."
    for c in skipped:
        if c.outputs:
            print(f"  kept the stored outputs of {path.name} cell {nb.cells.index(c)} (id {c.get('id')}), "
                  f"from {_stored_at(path, c.outputs[0])}: a skipped cell's output goes stale; make it a record")

def run(path:Path, flags:set):
    "Execute the notebook at `path` in its own folder; the skipped cells keep the outputs they had (e.g. a stored long run)."
    nb = nbformat.read(path, as_version=4)
    skipped = [c for c in nb.cells if _is_skipped(c, flags)]
    for c in skipped: c.metadata.setdefault('tags', []).append('skip-execution')
    NotebookClient(nb, timeout=600, kernel_name='python3', resources={'metadata': {'path': str(path.parent)}}).execute()
    for c in skipped:
        c.metadata['tags'].remove('skip-execution')
        if not c.metadata['tags']: del c.metadata['tags']
    drop_progress_bars(nb)
    nbformat.write(nb, path)
    print(f"executed {path.name}; skipped {len(skipped)} cell(s) flagged {' '.join(sorted(flags))}")
    report_kept(path, nb, skipped)

if __name__ == '__main__':
    paths = [Path(p).resolve() for p in sys.argv[1:]] or notebooks()
    for p in paths: run(p, _skip_flags())
