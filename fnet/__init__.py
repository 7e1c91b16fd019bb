"""``fnet``: the command-line tool that runs, migrates and administers Foundation Network.

It is the composition root: the only package that imports every app.
"""
