"The embedded default dataset; this folder is installed as the package `aim_nb.assets` (see setup.py)."
