"""Write README.md from nbs/index.ipynb without Quarto (which cannot be installed offline).

Markdown cells are copied, code cells become python blocks, text outputs plain blocks and pictures
PNG files in README_files/. Cells with a `#| hide` directive are left out. Run it after executing
nbs/index.ipynb; .ci/run checks that README.md is up to date.
"""
import base64, json, shutil
from pathlib import Path

root = Path(__file__).resolve().parents[1]
fig_dir = 'README_files'

def _directives(src:str) -> set: return {l[3:].strip() for l in src.splitlines() if l.startswith('#| ')}
def _code(src:str) -> str: return '\n'.join(l for l in src.splitlines() if not l.startswith('#|')).strip()

def _outputs(cell:dict, i:int) -> list:
    "Markdown for a code cell's outputs, writing its pictures to README_files/."
    parts = []
    for j, out in enumerate(cell.get('outputs', [])):
        data = out.get('data', {})
        if 'image/png' in data:
            name = f'cell-{i}-output-{j}.png'
            (root / fig_dir / name).write_bytes(base64.b64decode(data['image/png']))
            parts.append(f'![]({fig_dir}/{name})')
        elif out['output_type'] == 'stream': parts.append('    ' + ''.join(out['text']).rstrip().replace('\n', '\n    '))
        elif 'text/markdown' in data: parts.append(''.join(data['text/markdown']))
        elif 'text/plain' in data: parts.append('    ' + ''.join(data['text/plain']).rstrip().replace('\n', '\n    '))
    return parts

def main():
    nb = json.loads((root / 'nbs' / 'index.ipynb').read_text())
    shutil.rmtree(root / fig_dir, ignore_errors=True)
    (root / fig_dir).mkdir()
    parts = []
    for i, cell in enumerate(nb['cells']):
        src = ''.join(cell['source'])
        if cell['cell_type'] == 'markdown': parts.append(src); continue
        if 'hide' in _directives(src): continue
        if _code(src): parts.append(f"```python\n{_code(src)}\n```")
        parts += _outputs(cell, i)
    (root / 'README.md').write_text('\n\n'.join(parts) + '\n')

if __name__ == '__main__': main()
