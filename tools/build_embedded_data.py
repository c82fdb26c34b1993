"""Rebuild aim_nb/assets/fashion_mnist_small.npz, the embedded default dataset, from the Debian package.

    sudo apt-get install dataset-fashion-mnist
    python tools/build_embedded_data.py            # or: --src DIR for the four *-ubyte.gz files elsewhere
"""
from pathlib import Path
from fastcore.script import call_parse
from aim_nb.data import FASHION_MNIST_DIR, EMBEDDED_FILE, write_embedded_subset

@call_parse
def main(src:str=str(FASHION_MNIST_DIR),  # folder with the Fashion-MNIST IDX files
         train_per_class:int=200,          # training images per class
         test_per_class:int=50,            # test images per class
         seed:int=0):                      # seed of the draw
    dest = Path(__file__).resolve().parents[1] / 'aim_nb' / 'assets' / EMBEDDED_FILE
    write_embedded_subset(dest, src, train_per_class, test_per_class, seed)
    print(f"wrote {dest} ({dest.stat().st_size / 1e6:.2f} MB)")
