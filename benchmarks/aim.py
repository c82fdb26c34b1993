"""Run one of aim_nb's console scripts where aim_nb is on the path but not installed (a bare GPU machine):

    python benchmarks/aim.py aim_bench --preset base --device cuda
"""
import sys
from aim_nb import commands

if __name__ == '__main__':
    command = sys.argv.pop(1)
    getattr(commands, command).main()   # the flags that follow the command's name
