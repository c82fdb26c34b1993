"""Write README.md from nbs/index.ipynb without Quarto (which cannot be installed offline).

Markdown cells are copied (links to chapters made to point into nbs/), code cells become python
blocks, text outputs plain blocks and pictures PNG or JPEG files in README_files/. Cells with a
`#| hide` directive are left out; of a cell with `#| echo: false` (a sentence `cite` renders from a record)
only the output is copied. Run it after executing nbs/index.ipynb; .ci/run checks that
README.md is up to date.
"""
import base64, json, re, shutil
from pathlib import Path

root = Path(__file__).resolve().parents[1]
fig_dir = 'README_files'

def _readme_links(md:str) -> str:
    "Links to chapters, relative to nbs/ in the notebook, made relative to the repository root (where README.md lives)."
    return re.sub(r'\]\((?!https?:|#|/)([^)]+\.ipynb)', r'](nbs/\1', md)

def _directives(src:str) -> set: return {l[3:].strip() for l in src.splitlines() if l.startswith('#| ')}
def _code(src:str) -> str: return '\n'.join(l for l in src.splitlines() if not l.startswith('#|')).strip()

def _indented(text:str) -> str: return '    ' + text.rstrip().replace('\n', '\n    ')

def _outputs(cell:dict, i:int) -> list:
    "Markdown for a code cell's outputs, writing its pictures to README_files/."
    parts = []
    for j, out in enumerate(cell.get('outputs', [])):
        data = out.get('data', {})
        kind = next((k for k in ('image/png', 'image/jpeg') if k in data), None)
        if kind:
            name = f"cell-{i}-output-{j}.{'png' if kind == 'image/png' else 'jpg'}"
            (root / fig_dir / name).write_bytes(base64.b64decode(data[kind]))
            parts.append(f'![]({fig_dir}/{name})')
        elif out['output_type'] == 'stream': parts.append(_indented(''.join(out['text'])))
        elif 'text/markdown' in data: parts.append(''.join(data['text/markdown']))
        elif 'text/plain' in data: parts.append(_indented(''.join(data['text/plain'])))
    return parts

def main():
    nb = json.loads((root / 'nbs' / 'index.ipynb').read_text())
    shutil.rmtree(root / fig_dir, ignore_errors=True)
    (root / fig_dir).mkdir()
    parts = []
    for i, cell in enumerate(nb['cells']):
        src = ''.join(cell['source'])
        if cell['cell_type'] == 'markdown': parts.append(_readme_links(src)); continue
        if 'hide' in _directives(src): continue
        if _code(src) and 'echo: false' not in _directives(src): parts.append(f"```python\n{_code(src)}\n```")
        parts += _outputs(cell, i)
    (root / 'README.md').write_text('\n\n'.join(parts) + '\n')

if __name__ == '__main__': main()
