#!/usr/bin/env python3
"""Captures what a user sees in the drgn REPL for a few struct pages: each is printed as the REPL
prints an expression (repr of a drgn Object), after a '>>> ' prompt line with the expression.
Usage: drgn_repl_pages.py vmcore vmlinux pfn..."""
import sys

import drgn
from drgn.helpers.linux.mm import pfn_to_page

core, vmlinux, pfns = sys.argv[1], sys.argv[2], [int(x) for x in sys.argv[3:]]
prog = drgn.Program()
prog.set_core_dump(core)
prog.load_debug_info([vmlinux])
print('>>> prog["init_uts_ns"].name.release')
print(str(prog["init_uts_ns"].name.release))
for pfn in pfns:
    expr = "pfn_to_page(prog, %d)" % pfn
    print(">>> " + expr)
    try:
        print(str(pfn_to_page(prog, pfn)))
    except drgn.FaultError as e:
        print("Traceback (most recent call last):\n_drgn.FaultError: %s" % e)
    print(">>> pfn_to_page(prog, %d)[0]" % pfn)
    try:
        print(str(pfn_to_page(prog, pfn)[0]))
    except drgn.FaultError as e:
        print("Traceback (most recent call last):\n_drgn.FaultError: %s" % e)
