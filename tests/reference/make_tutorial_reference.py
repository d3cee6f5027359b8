#!/usr/bin/python3
# Runs the PyTorch tutorials' scripts (examples/pytorch/tutorial_*.py) and writes the numbers
# tests/tutorials_check.sh compares xgrad's ports with, into tests/reference/tutorials.txt:
#   /usr/bin/python3 tests/reference/make_tutorial_reference.py
import os
import re
import subprocess
import sys

here = os.path.dirname(os.path.abspath(__file__))
examples = os.path.join(here, "..", "..", "examples", "pytorch")


def run(script, *args):
    out = subprocess.run([sys.executable, os.path.join(examples, script), *args], check=True,
                         capture_output=True, text=True, cwd=examples).stdout
    return out


lines = ["# written by tests/reference/make_tutorial_reference.py with torch " + __import__("torch").__version__]
out = run("tutorial_polynomial.py", "--seed", "0")
lines.append("tutorial_polynomial final_loss " + re.search(r"final loss (\S+)", out).group(1))
with open(os.path.join(here, "tutorials.txt"), "w") as f:
    f.write("\n".join(lines) + "\n")
print("\n".join(lines))
